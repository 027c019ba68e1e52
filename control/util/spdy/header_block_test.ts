import assert from "node:assert/strict";
import {
  decodeHeaderBlock,
  encodeHeaderBlock,
  HeaderCompressor,
  HeaderDecompressor,
} from "./header_block.ts";

Deno.test("encodeHeaderBlock() and decodeHeaderBlock() round-trip, names lowercased", () => {
  const bytes = encodeHeaderBlock({ StreamType: "stdout", port: "80" });
  assert.deepEqual([...bytes.subarray(0, 8)], [0, 0, 0, 2, 0, 0, 0, 10]);
  assert.deepEqual(decodeHeaderBlock(bytes), { streamtype: "stdout", port: "80" });
  assert.throws(() => decodeHeaderBlock(bytes.subarray(0, 10)), SyntaxError);
});

Deno.test("HeaderCompressor output inflates with the SPDY/3 dictionary, block after block", async () => {
  const compressor = new HeaderCompressor();
  const decompressor = new HeaderDecompressor();
  try {
    const blocks = [
      { streamtype: "error" },
      { streamtype: "stdout", "x-big": "v".repeat(70_000) },
      { streamtype: "stdin" },
    ];
    const compressed = blocks.map((b) => compressor.compress(b));
    // The first block starts the zlib stream naming the dictionary (FDICT).
    assert.deepEqual([...compressed[0]!.subarray(0, 2)], [0x78, 0xbb]);
    assert.notDeepEqual([...compressed[1]!.subarray(0, 2)], [0x78, 0xbb]);
    // Every block ends as a sync flush does: an empty stored block.
    for (const c of compressed) assert.deepEqual([...c.subarray(-5)], [0, 0, 0, 0xff, 0xff]);
    const results = await Promise.all(compressed.map((c) => decompressor.decompress(c)));
    assert.deepEqual(results, blocks);
  } finally {
    decompressor.close();
  }
});

Deno.test("HeaderDecompressor reads Python zlib's compressed blocks with the same dictionary", async () => {
  // An independent deflate (CPython's zlib with zdict) for the inflating side.
  const { SPDY3_DICTIONARY } = await import("./_dictionary.ts");
  const script = "import sys,zlib\n" +
    "d=sys.stdin.buffer.read()\n" +
    "c=zlib.compressobj(zdict=d)\n" +
    "def blk(pairs):\n" +
    "  b=len(pairs).to_bytes(4,'big')\n" +
    "  for n,v in pairs: b+=len(n).to_bytes(4,'big')+n+len(v).to_bytes(4,'big')+v\n" +
    "  return b\n" +
    "out=b''\n" +
    "for p in [[(b'streamtype',b'stdout')],[(b'streamtype',b'stderr'),(b'port',b'8080')]]:\n" +
    "  x=c.compress(blk(p))+c.flush(zlib.Z_SYNC_FLUSH)\n" +
    "  out+=len(x).to_bytes(4,'big')+x\n" +
    "sys.stdout.buffer.write(out)\n";
  const child = new Deno.Command("python3", {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
  })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(SPDY3_DICTIONARY);
  await writer.close();
  const { stdout } = await child.output();
  const view = new DataView(stdout.buffer);
  const decompressor = new HeaderDecompressor();
  try {
    const got = [];
    for (let off = 0; off < stdout.byteLength;) {
      const n = view.getUint32(off);
      got.push(await decompressor.decompress(stdout.subarray(off + 4, off + 4 + n)));
      off += 4 + n;
    }
    assert.deepEqual(got, [{ streamtype: "stdout" }, { streamtype: "stderr", port: "8080" }]);
  } finally {
    decompressor.close();
  }
});
