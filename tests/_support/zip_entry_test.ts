import assert from "node:assert/strict";
import { crc32, deflateRawSync } from "node:zlib";
import { readZipEntry } from "./zip_entry.ts";

interface TestEntry {
  readonly name: string;
  readonly data: Uint8Array;
  readonly deflate: boolean;
}

/** A zip archive of `entries` laid out as zip writers do, with an archive comment. */
function buildZip(entries: readonly TestEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const body = e.deflate ? new Uint8Array(deflateRawSync(e.data)) : e.data;
    const crc = crc32(e.data);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(8, e.deflate ? 8 : 0, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, e.data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const dir = new Uint8Array(46 + name.length);
    const dv = new DataView(dir.buffer);
    dv.setUint32(0, 0x02014b50, true);
    dv.setUint16(10, e.deflate ? 8 : 0, true);
    dv.setUint32(16, crc, true);
    dv.setUint32(20, body.length, true);
    dv.setUint32(24, e.data.length, true);
    dv.setUint16(28, name.length, true);
    dv.setUint32(42, offset, true);
    dir.set(name, 46);
    parts.push(local, body);
    central.push(dir);
    offset += local.length + body.length;
  }
  const comment = enc.encode("made by the test");
  const directorySize = central.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22 + comment.length);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, directorySize, true);
  ev.setUint32(16, offset, true);
  ev.setUint16(20, comment.length, true);
  end.set(comment, 22);
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const BINARY = new Uint8Array(70_000).map((_, i) => (i * 31) % 251);
const TEXT = new TextEncoder().encode("#!/bin/sh\necho hello\n");
const ZIP = buildZip([
  { name: "helm/", data: new Uint8Array(), deflate: false },
  { name: "helm/helm", data: BINARY, deflate: true },
  { name: "kubectl/kubectl", data: TEXT, deflate: false },
]);

Deno.test("readZipEntry() reads deflated and stored files by name", async (t) => {
  const cases = [
    { name: "deflated", entry: "helm/helm", want: BINARY },
    { name: "stored", entry: "kubectl/kubectl", want: TEXT },
    { name: "a directory entry is empty", entry: "helm/", want: new Uint8Array() },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(readZipEntry(ZIP, c.entry), c.want);
    });
  }
});

Deno.test("readZipEntry() throws naming what is wrong with the archive", async (t) => {
  const corrupt = ZIP.slice();
  // One byte of the stored file's data ("hello" is found only there).
  const at = new TextDecoder("latin1").decode(ZIP).indexOf("hello");
  assert.ok(at > 0);
  corrupt[at] = corrupt[at]! ^ 0xff;
  const cases = [
    {
      name: "a missing file",
      zip: ZIP,
      entry: "helm/nothere",
      error: {
        name: "RangeError",
        message: 'Cannot read zip entry "helm/nothere": the archive has no such file',
      },
    },
    {
      name: "changed data",
      zip: corrupt,
      entry: "kubectl/kubectl",
      error: {
        name: "SyntaxError",
        message:
          'Cannot read zip entry "kubectl/kubectl": size or CRC-32 differs from the central directory',
      },
    },
    {
      name: "not a zip",
      zip: new TextEncoder().encode("this is not a zip archive at all"),
      entry: "helm/helm",
      error: {
        name: "SyntaxError",
        message: "Cannot read zip archive: no end of central directory record",
      },
    },
    {
      name: "too short",
      zip: new Uint8Array(3),
      entry: "helm/helm",
      error: { name: "SyntaxError", message: "Cannot read zip archive: 3 bytes is too short" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => readZipEntry(c.zip, c.entry), c.error);
    });
  }
});
