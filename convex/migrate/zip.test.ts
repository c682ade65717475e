import { strToU8, zipSync } from "fflate";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { craftZip, deflatedZeros } from "../../tests/fixtures/migrate/zip/craft";
import { ImportFileError, MAX_ZIP_ENTRIES } from "./types";
import { DAMAGED_ZIP, looksLikeZip, readZip } from "./zip";

const text = (s: string) => strToU8(s);

function refused(fn: () => unknown): ImportFileError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ImportFileError);
    return err as ImportFileError;
  }
  throw new Error("expected an ImportFileError");
}

/** Bytes the process holds outside and inside the JS heap (what a bomb would inflate into). */
function held(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe("readZip", () => {
  it("lists files with their paths and sizes and reads them lazily, stored or deflated", () => {
    const zip = zipSync({
      "posts.csv": [text("post_id,title\n1.a,A\n"), { level: 0 }],
      "posts/1.a.html": text("<p>" + "hello ".repeat(500) + "</p>"),
      "images/": new Uint8Array(0),
    });
    expect(looksLikeZip(zip)).toBe(true);
    const entries = readZip(zip);
    expect(entries.map((e) => e.path)).toEqual(["posts.csv", "posts/1.a.html"]);
    expect(entries[1].size).toBe(3007);
    expect(entries[1].compressedSize).toBeLessThan(200);
    expect(entries[0].text()).toBe("post_id,title\n1.a,A\n");
    expect(entries[1].text()).toBe("<p>" + "hello ".repeat(500) + "</p>");
    const chunks: number[] = [];
    entries[1].stream((c) => chunks.push(c.length));
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(3007);
  });

  it("leaves out __MACOSX/ and dotfiles, and drops a text entry's BOM", () => {
    const zip = zipSync({
      "__MACOSX/posts/._1.html": text("junk"),
      ".DS_Store": text("junk"),
      "posts/.hidden.html": text("junk"),
      "posts/1.html": new Uint8Array([0xef, 0xbb, 0xbf, ...text("<p>hi</p>")]),
    });
    const entries = readZip(zip);
    expect(entries.map((e) => e.path)).toEqual(["posts/1.html"]);
    expect(entries[0].text()).toBe("<p>hi</p>");
  });

  it("reads an empty zip as no files", () => {
    expect(readZip(zipSync({}))).toEqual([]);
  });

  it("zip bomb: a 1 GiB-of-zeros entry is refused from its declared size before anything is inflated", () => {
    const zeros = deflatedZeros(1024); // a real deflate stream that inflates to 1 GiB (about 1 MB here)
    const zip = craftZip([{ name: "posts.csv", data: zeros, method: 8, size: 2 ** 30 }]);
    const before = held();
    const err = refused(() => readZip(zip));
    expect(err.message).toMatch(/unpacks to 1,024 MB; the most we read for one file is 50 MB/);
    expect(held() - before).toBeLessThan(32 * 2 ** 20);
  });

  it("zip bomb: an entry under the size limit that compresses more than 100 to 1 is refused", () => {
    const zip = craftZip([{ name: "a.html", data: deflatedZeros(40), method: 8, size: 40 * 2 ** 20 }]);
    expect(refused(() => readZip(zip)).message).toMatch(/compressed suspiciously well .*zip bomb/);
  });

  it("zip bomb: many entries that together declare more than the total limit are refused", () => {
    const seg = deflatedZeros(1);
    const zip = craftZip(Array.from({ length: 9 }, (_, i) => ({ name: `f${i}.html`, data: seg, method: 8 as const, size: 2 ** 20 })));
    expect(readZip(zip)).toHaveLength(9); // 9 MiB in total: fine
    const block = new Uint8Array(600 * 1024); // 49 MiB from 600 KiB: under the ratio limit
    const many = craftZip(Array.from({ length: 9 }, (_, i) => ({ name: `f${i}.bin`, data: block, method: 8 as const, size: 49 * 2 ** 20 })));
    expect(refused(() => readZip(many)).message).toMatch(/unpacks to more than 400 MB/);
  });

  it("zip bomb: entries that share their compressed bytes (overlapping) are refused", () => {
    const data = text("<p>same bytes</p>");
    const zip = craftZip([
      { name: "a.html", data, size: data.length },
      { name: "b.html", data, size: data.length, sameDataAs: 0 },
    ]);
    expect(refused(() => readZip(zip)).message).toMatch(/^The zip file is damaged or incomplete\./);
  });

  it("zip bomb: an entry that lies about its size is stopped as soon as it inflates past it", () => {
    // Declares 1,000 bytes, inflates to 1 GiB: passes the directory checks, must stop while reading.
    const zip = craftZip([{ name: "posts/1.html", data: deflatedZeros(1024), method: 8, size: 1000 }]);
    const [entry] = readZip(zip);
    const before = held();
    const err = refused(() => entry.read());
    expect(err.message).toMatch(/unpacks to more than it declares \(1,000 bytes\)/);
    expect(held() - before).toBeLessThan(64 * 2 ** 20);
  });

  it("an entry that inflates to less than it declares is damaged", () => {
    const data = deflateRawSync(text("<p>short</p>"));
    const zip = craftZip([{ name: "a.html", data, method: 8, size: 50 }]);
    expect(refused(() => readZip(zip)[0].read()).message).toBe(DAMAGED_ZIP);
  });

  it("a stored entry whose checksum does not match is damaged", () => {
    const data = text("hello");
    const zip = craftZip([{ name: "a.txt", data, size: 5, crc: 12345 }]);
    expect(refused(() => readZip(zip)[0].read()).message).toBe(DAMAGED_ZIP);
  });

  it("too many entries are refused before any is read", () => {
    const zip = craftZip(Array.from({ length: MAX_ZIP_ENTRIES + 1 }, (_, i) => ({ name: `${i}`, data: new Uint8Array(0), size: 0 })));
    expect(refused(() => readZip(zip)).message).toMatch(/20,001 files; the most we read is 20,000/);
  });

  it.each([
    ["path traversal: ../../x in a zip entry", "../../x"],
    ["path traversal: a .. segment inside the path", "posts/../../etc/passwd"],
    ["path traversal: absolute path", "/etc/passwd"],
    ["path traversal: a drive letter", "C:/Windows/win.ini"],
    ["path traversal: backslashes", "posts\\..\\..\\x.html"],
    ["path traversal: a NUL in the name", "posts/1.html\u0000.png"],
    ["path traversal: ../ hidden under __MACOSX/", "__MACOSX/../../x"],
  ])("%s", (_name, entryName) => {
    const zip = zipSync({ "ok.html": text("fine"), [entryName]: text("evil") });
    expect(refused(() => readZip(zip)).message).toMatch(/unsafe name/);
  });

  it("path traversal: a symbolic link entry is refused", () => {
    const target = text("/etc/passwd");
    const zip = craftZip([{ name: "posts/1.html", data: target, size: target.length, unixMode: 0o120777 }]);
    expect(refused(() => readZip(zip)).message).toMatch(/symbolic link/);
  });

  it("an encrypted entry is refused with a clear message", () => {
    const zip = craftZip([{ name: "posts.csv", data: text("xxxxxxxxxxxx"), size: 12, flags: 1 }]);
    expect(refused(() => readZip(zip)).message).toMatch(/password-protected/);
  });

  it("truncated zip: a zip cut short is damaged, wherever it is cut", () => {
    const zip = zipSync({ "posts.csv": text("post_id\n1.a\n".repeat(200)), "posts/1.a.html": text("<p>x</p>".repeat(300)) });
    for (const cut of [10, Math.floor(zip.length / 2), zip.length - 30, zip.length - 1]) {
      expect(refused(() => readZip(zip.subarray(0, cut)).forEach((e) => e.read())).message).toBe(DAMAGED_ZIP);
    }
  });

  it("a zip whose compressed data is corrupt is damaged, not a crash", () => {
    const zip = zipSync({ "a.html": text("<p>" + "lorem ipsum dolor ".repeat(400) + "</p>") });
    const entries = readZip(zip);
    const broken = zip.slice();
    const start = zip.indexOf(0x2e) + 10; // past the local name "a.html"
    for (let i = start; i < start + 40; i++) broken[i] ^= 0xff;
    expect(entries).toHaveLength(1);
    expect(refused(() => readZip(broken)[0].read()).message).toBe(DAMAGED_ZIP);
  });

  it("a local header whose name differs from the directory's is refused", () => {
    const zip = zipSync({ "a.html": text("x") });
    const broken = zip.slice();
    broken[30] = "b".charCodeAt(0); // the local header's name
    expect(refused(() => readZip(broken)).message).toBe(DAMAGED_ZIP);
  });
});
