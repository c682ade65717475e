// Uploaded files are served so that opening one cannot run script on the backend's origin (issue #12
// item 9): every download carries a well-formed Content-Type and `X-Content-Type-Options: nosniff`;
// types a browser treats as active documents (SVG, HTML, XML, anything but a plain image, audio or
// video type) also get `Content-Security-Policy: sandbox` (and, unless they are images, a download
// disposition). An `<img>` of an uploaded SVG still renders. Checked in Debian's Chromium.
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalBackend } from "../src/backend.js";

const FIXTURE = "local-backend/test/fixtures-storage/files/convex";
const api = anyApi.files;

let dataDir: string;
let backend: LocalBackend;
let client: ConvexHttpClient;
let browser: Browser;
/** A 127.0.0.1 server: records every request (the scripts' marker) and serves the `<img>` page. */
let marker: Server;
let markerUrl = "";
const hits: string[] = [];
let imgPage = "";

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "lb-upload-safety-"));
  backend = await LocalBackend.start({ dataDir, convexDir: FIXTURE, port: 0, host: "127.0.0.1", scheduler: false });
  client = new ConvexHttpClient(backend.url, { logger: false });
  marker = createServer((req, res) => {
    hits.push(req.url ?? "");
    res.writeHead(200, { "Content-Type": "text/html", "Access-Control-Allow-Origin": "*" });
    res.end(req.url === "/page" ? imgPage : "ok");
  });
  await new Promise<void>((r) => marker.listen(0, "127.0.0.1", r));
  markerUrl = `http://127.0.0.1:${(marker.address() as { port: number }).port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => marker?.close(r));
  await backend?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function upload(body: string, contentType?: string): Promise<string> {
  const uploadUrl: string = await client.mutation(api.generateUploadUrl, {});
  const res = await fetch(uploadUrl, { method: "POST", body, headers: contentType ? { "Content-Type": contentType } : {} });
  expect(res.status).toBe(200);
  const { storageId } = await res.json();
  return (await client.query(api.getUrl, { id: storageId })) as string;
}

/** An SVG whose scripts, if they ever run, call the marker server and mark the document. */
const evilSvg = (tag: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30" viewBox="0 0 40 30">` +
  `<rect width="40" height="30" fill="red"/>` +
  `<script>fetch("${markerUrl}/ran-${tag}");document.documentElement.setAttribute("data-ran","yes")</script>` +
  `</svg>`;

async function sleep(ms: number) {
  await new Promise((r) => setTimeout(r, ms));
}

describe("uploads are served inert", () => {
  test("XSS via uploaded SVG: opening its storage URL does not run its script", async () => {
    const url = await upload(evilSvg("direct"), "image/svg+xml");
    const page = await browser.newPage();
    try {
      const response = await page.goto(url);
      expect(response?.status()).toBe(200);
      // The document did load (its rect is there)...
      await expect(page.locator("rect").count()).resolves.toBe(1);
      await sleep(300);
      // ...but its script never ran: no marker request, no attribute.
      expect(hits.filter((h) => h.startsWith("/ran-direct"))).toEqual([]);
      expect(await page.locator("svg").getAttribute("data-ran")).toBeNull();
    } finally {
      await page.close();
    }

    const res = await fetch(url);
    expect(res.headers.get("content-type")).toBe("image/svg+xml");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toMatch(/(^|;)\s*sandbox\s*(;|$)/);
    // Viewing an SVG by its URL still works (no forced download): it is an image.
    expect(res.headers.get("content-disposition")).toBeNull();
  });

  test("XSS via uploaded SVG: an <img> of it still renders", async () => {
    const url = await upload(evilSvg("img"), "image/svg+xml");
    imgPage = `<!doctype html><img id="i" src="${url}">`;
    const page = await browser.newPage();
    try {
      await page.goto(`${markerUrl}/page`);
      await page.waitForFunction(() => (document.getElementById("i") as HTMLImageElement).complete);
      const size = await page.evaluate(() => {
        const img = document.getElementById("i") as HTMLImageElement;
        return [img.naturalWidth, img.naturalHeight];
      });
      expect(size).toEqual([40, 30]);
    } finally {
      await page.close();
    }
  });

  test("XSS via uploaded HTML: it is sandboxed and downloaded, never rendered on the backend's origin", async () => {
    const html = `<!doctype html><script>fetch("${markerUrl}/ran-html")</script>`;
    for (const type of ["text/html", "text/html; charset=utf-8", "application/xhtml+xml", "text/xml"]) {
      const url = await upload(html, type);
      const res = await fetch(url);
      expect(res.headers.get("x-content-type-options"), type).toBe("nosniff");
      expect(res.headers.get("content-security-policy"), type).toMatch(/(^|;)\s*sandbox\s*(;|$)/);
      expect(res.headers.get("content-disposition"), type).toBe("attachment");
    }
  });

  test("XSS via a malformed upload content type: it is served as application/octet-stream, sandboxed", async () => {
    // A type that is not `type/subtype` could be read as anything by a browser.
    const url = await upload(`<script>fetch("${markerUrl}/ran-bad-type")</script>`, "html");
    const res = await fetch(url);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toMatch(/(^|;)\s*sandbox\s*(;|$)/);
  });

  test("XSS via upload: plain images and media keep inline serving, with nosniff", async () => {
    for (const type of ["image/png", "image/jpeg", "video/mp4", "audio/mpeg"]) {
      const url = await upload(`not really ${type}`, type);
      const res = await fetch(url);
      expect(res.headers.get("content-type"), type).toBe(type);
      expect(res.headers.get("x-content-type-options"), type).toBe("nosniff");
      expect(res.headers.get("content-security-policy"), type).toBeNull();
      expect(res.headers.get("content-disposition"), type).toBeNull();
    }
  });
});
