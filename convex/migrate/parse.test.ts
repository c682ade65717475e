import { readFileSync } from "node:fs";
import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { fixtureFiles, TINY_PNG, zipFixture } from "../../tests/fixtures/migrate/build-zips";
import { craftZip, deflatedZeros } from "../../tests/fixtures/migrate/zip/craft";
import { MEMBERS_CSV, parseUpload, UNRECOGNISED_FILE } from "./parse";
import { ImportFileError, MAX_IMPORT_FILE_BYTES } from "./types";
import { DAMAGED_ZIP } from "./zip";

const fixture = (path: string) => new Uint8Array(readFileSync(new URL(`../../tests/fixtures/migrate/${path}`, import.meta.url)));
const BOM = [0xef, 0xbb, 0xbf];

function refusal(bytes: Uint8Array, name = "upload"): string {
  try {
    parseUpload(bytes, name);
  } catch (err) {
    expect(err).toBeInstanceOf(ImportFileError);
    return (err as Error).message;
  }
  throw new Error("expected an ImportFileError");
}

describe("parseUpload: recognises the format by content", () => {
  it("reads a Ghost JSON export, also behind a byte-order mark and whatever its name", () => {
    const json = fixture("ghost/ghost5-lexical.json");
    const parsed = parseUpload(json, "export.txt");
    expect(parsed.source).toBe("ghost");
    expect(parsed.posts.length).toBeGreaterThan(0);
    expect(parseUpload(new Uint8Array([...BOM, ...json]), "x.json").posts.map((p) => p.key)).toEqual(parsed.posts.map((p) => p.key));
  });

  it("reads a WordPress WXR file", () => {
    const parsed = parseUpload(fixture("wordpress/wxr-blog.xml"), "blog.wordpress.2026-01-01.xml");
    expect(parsed.source).toBe("wordpress");
    expect(parsed.posts.length).toBeGreaterThan(0);
  });

  it("reads a Substack export zip and a Medium export zip", () => {
    const substack = parseUpload(zipFixture("substack"), "export.zip");
    expect(substack.source).toBe("substack");
    expect(substack.posts).toHaveLength(9);
    const medium = parseUpload(zipFixture("medium"), "medium-export.zip");
    expect(medium.source).toBe("medium");
    expect(medium.posts).toHaveLength(3);
  });

  it("reads an export unzipped and zipped again inside one folder", () => {
    const substack = parseUpload(zipFixture("substack", {}, "my-export/"), "again.zip");
    expect(substack.source).toBe("substack");
    expect(substack.memberLists.map((l) => l.path).sort()).toEqual(["email_list.rivers.csv", "rivers_subscribers.csv"]);
  });

  it("does not mistake a Medium zip holding only posts/ for a folder to strip", () => {
    const posts = Object.fromEntries(Object.entries(fixtureFiles("medium")).filter(([p]) => p.startsWith("posts/")));
    const parsed = parseUpload(zipSync(posts), "m.zip");
    expect(parsed.source).toBe("medium");
    expect(parsed.posts).toHaveLength(3);
  });

  it("reads a Ghost JSON inside a zip and hands over the images next to it", () => {
    const zip = zipSync({
      "ghost-export/ghost-import.json": fixture("ghost/ghost4-mobiledoc.json"),
      "ghost-export/content/images/2021/05/river.png": TINY_PNG,
      "ghost-export/content/images/2021/05/readme.txt": strToU8("not an image"),
    });
    const parsed = parseUpload(zip, "ghost.zip");
    expect(parsed.source).toBe("ghost");
    expect(parsed.images).toEqual([{ path: "content/images/2021/05/river.png", contentType: "image/png", bytes: TINY_PNG }]);
  });

  it("reads a WXR inside a zip", () => {
    const parsed = parseUpload(zipSync({ "blog.xml": fixture("wordpress/wxr-blog.xml"), "uploads/a.png": TINY_PNG }), "wp.zip");
    expect(parsed.source).toBe("wordpress");
    expect(parsed.images.map((i) => i.path)).toEqual(["uploads/a.png"]);
  });
});

describe("parseUpload: refuses what it cannot import, with a clear message", () => {
  it("refuses a file over the size limit before reading it", () => {
    expect(refusal(new Uint8Array(MAX_IMPORT_FILE_BYTES + 1))).toBe("The file is 100 MB; the largest we import is 100 MB.");
  });

  it("refuses an empty file, or one of only whitespace and a BOM", () => {
    expect(refusal(new Uint8Array(0), "posts.json")).toBe('"posts.json" is empty.');
    expect(refusal(new Uint8Array([...BOM, 0x20, 0x0a, 0x0a]), "x.xml")).toBe('"x.xml" is empty.');
  });

  it("refuses binary garbage, naming the formats it takes", () => {
    let seed = 7;
    const garbage = Uint8Array.from({ length: 5000 }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff);
    expect(refusal(garbage)).toBe(UNRECOGNISED_FILE);
    expect(UNRECOGNISED_FILE).toContain("Ghost JSON export, WordPress export (WXR), Substack export, Medium export");
    expect(refusal(strToU8("just some words, nothing else\n"))).toBe(UNRECOGNISED_FILE);
  });

  it("sends a members CSV (Ghost's or Substack's) to the audience import", () => {
    expect(refusal(strToU8("id,email,name,note,subscribed_to_emails,complimentary_plan\n1,a@b.co,A,,true,false\n"))).toBe(MEMBERS_CSV);
    expect(refusal(fixture("substack/email_list.rivers.csv"))).toBe(MEMBERS_CSV);
  });

  it("asks for the whole zip when given Substack's posts.csv or one Medium page on its own", () => {
    expect(refusal(fixture("substack/posts.csv"))).toMatch(/Substack's posts\.csv on its own/);
    expect(refusal(fixture("medium/posts/2018-08-11_Basic-Post-Title-efefef121212.html"))).toMatch(/single web page/);
  });

  it("refuses a zip that holds no export, an empty zip, and a zip with two exports", () => {
    expect(refusal(zipSync({ "notes/a.txt": strToU8("hello") }))).toBe(UNRECOGNISED_FILE);
    expect(refusal(zipSync({}))).toBe("The zip is empty.");
    const two = zipSync({ "a.json": fixture("ghost/ghost4-mobiledoc.json"), "b.xml": fixture("wordpress/wxr-blog.xml") });
    expect(refusal(two)).toMatch(/several export files \(a\.json, b\.xml\)/);
  });

  it("truncated zip: an upload cut short is damaged", () => {
    const zip = zipFixture("substack");
    expect(refusal(zip.subarray(0, zip.length - 100))).toBe(DAMAGED_ZIP);
  });

  it("zip bomb: a Substack zip whose posts.csv declares 1 GiB is refused", () => {
    expect(refusal(craftZip([{ name: "posts.csv", data: deflatedZeros(1024), method: 8, size: 2 ** 30 }]))).toMatch(/posts\.csv" in the zip unpacks to 1,024 MB/);
  });

  it("path traversal: ../../x in an otherwise good Substack zip refuses the whole file", () => {
    expect(refusal(zipFixture("substack", { "../../x": strToU8("owned") }))).toMatch(/unsafe name \("\.\.\/\.\.\/x"\)/);
  });

  it("XXE: a WordPress export with an external entity inside a zip is refused", () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&xxe;</title></item></channel></rss>`;
    const message = refusal(zipSync({ "export.xml": strToU8(xxe) }));
    expect(message).not.toContain("root:");
    expect(message).toMatch(/DOCTYPE|entit/i);
  });
});
