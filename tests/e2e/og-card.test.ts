import { expect, test } from "./fixtures";

// Share images through the production build (app/server/index.ts) of the e2e stack, whose demo is
// seeded with its images by start-stack.mjs (tools/demo-covers/seed.ts): a post with a cover
// shares the cover, a post without one shares its generated card, a real PNG cached forever.

const SITE = "the-ledger";

async function ogImage(request: import("@playwright/test").APIRequestContext, path: string): Promise<string> {
  const html = await (await request.get(path)).text();
  const m = /<meta property="og:image" content="([^"]+)"/.exec(html);
  expect(m, `og:image on ${path}`).not.toBeNull();
  return m![1].replace(/&amp;/g, "&");
}

test("a post without a cover shares its generated card; one with a cover shares the cover", async ({ request, baseURL }) => {
  // Seeded without a cover (demoDesign.ts covers one Ledger post only).
  const card = await ogImage(request, `/${SITE}/the-pension-bill-nobody-can-renegotiate`);
  expect(card).toMatch(new RegExp(`^${baseURL}/${SITE}/og/the-pension-bill-nobody-can-renegotiate\\?v=`));
  const r = await request.get(card.slice(baseURL!.length), { maxRedirects: 0 });
  expect(r.status()).toBe(200);
  expect(r.headers()["content-type"]).toBe("image/png");
  expect(r.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
  const png = await r.body();
  expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join("")).toBe("PNG");
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1200, 630]);
  // Any other version answers with a redirect to the current card.
  const stale = await request.get(`/${SITE}/og/the-pension-bill-nobody-can-renegotiate?v=old`, { maxRedirects: 0 });
  expect(stale.status()).toBe(302);
  expect(`${baseURL}${stale.headers()["location"]}`).toBe(card);

  const cover = await ogImage(request, `/${SITE}/city-budgets-explained`);
  expect(cover).not.toContain("/og/");
  const image = await request.get(cover);
  expect(image.status()).toBe(200);
  expect(image.headers()["content-type"]).toContain("image/png");
});
