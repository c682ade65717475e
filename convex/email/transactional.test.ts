import { ConvexError } from "convex/values";
import { expect, test } from "vitest";
import { renderTransactionalEmail } from "./transactional";

const site = { name: "Pressroom", url: "https://pressroom.example" };

test("a sign-in code email: same layout, CSS inlined, code in HTML and text", () => {
  const r = renderTransactionalEmail({ site, subject: "Your code", heading: "Sign in", paragraphs: ["Use this code to sign in."], code: "123456", footer: "Ignore this if it wasn't you." });
  expect(r.subject).toBe("Your code");
  expect(r.html).not.toMatch(/<style/i);
  expect(r.html).toMatch(/<p class="code" style="[^"]*font-size: 28px[^"]*">123456<\/p>/);
  expect(r.html).toMatch(/<table[^>]*class="container"[^>]*width="600"/);
  expect(r.text).toContain("123456");
  expect(r.text).toContain("Use this code to sign in.");
});

test("XSS: every string is text; a javascript: button is refused", () => {
  const hostile = `<script>alert(1)</script>"'`;
  const r = renderTransactionalEmail({ site: { ...site, name: hostile }, subject: hostile, heading: hostile, paragraphs: [hostile], code: hostile, footer: hostile, button: { label: hostile, url: "https://pressroom.example/x" } });
  expect(r.html).not.toContain("<script");
  expect(r.html.split("&lt;script&gt;").length - 1).toBeGreaterThanOrEqual(7);
  expect(() => renderTransactionalEmail({ site, subject: "s", heading: "h", paragraphs: [], button: { label: "Go", url: "javascript:alert(1)" } })).toThrow(ConvexError);
});
