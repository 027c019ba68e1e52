import assert from "node:assert/strict";
import protobuf from "protobufjs";
import { LENGTH_DELIMITED, ProtoReader, VARINT } from "./_protobuf_reader.ts";

function reader(bytes: number[] | Uint8Array): ProtoReader {
  return new ProtoReader(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
}

Deno.test("ProtoReader.int32() keeps the low 32 bits, as Go's int32 conversion", async (t) => {
  const cases: { name: string; write: (w: protobuf.Writer) => void; want: number }[] = [
    { name: "small", write: (w) => w.int32(5), want: 5 },
    { name: "two bytes", write: (w) => w.int32(300), want: 300 },
    { name: "max", write: (w) => w.int32(2147483647), want: 2147483647 },
    { name: "negative (10-byte varint)", write: (w) => w.int32(-7), want: -7 },
    { name: "int64 beyond 32 bits", write: (w) => w.int64(2 ** 32 + 9), want: 9 },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const w = protobuf.Writer.create();
      c.write(w);
      const r = reader(w.finish());
      assert.equal(r.int32(), c.want);
      assert.equal(r.pos, r.end);
    });
  }
});

Deno.test("ProtoReader.int64() reads signed 64-bit varints as numbers", async (t) => {
  for (const v of [0, 1, -1, 2 ** 40 + 3, -(2 ** 40) - 3, Number.MAX_SAFE_INTEGER]) {
    await t.step(String(v), () => {
      const r = reader(protobuf.Writer.create().int64(v).finish());
      assert.equal(r.int64(), v);
    });
  }
});

Deno.test("ProtoReader.tag() splits field number and wire type", () => {
  const r = reader(protobuf.Writer.create().uint32((1000 << 3) | 2).uint32(3 << 3).finish());
  assert.equal(r.tag(), 1000);
  assert.equal(r.wire, LENGTH_DELIMITED);
  assert.equal(r.tag(), 3);
  assert.equal(r.wire, VARINT);
});

Deno.test("ProtoReader.string() decodes ASCII, UTF-8 and invalid UTF-8", async (t) => {
  const cases: { name: string; bytes: number[]; want: string }[] = [
    { name: "empty", bytes: [0], want: "" },
    { name: "ascii", bytes: [3, 0x61, 0x62, 0x63], want: "abc" },
    { name: "utf-8", bytes: [3, 0xe2, 0x82, 0xac], want: "€" },
    { name: "invalid utf-8", bytes: [2, 0x61, 0xff], want: "a\ufffd" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(reader(c.bytes).string(), c.want));
  }
  await t.step("a long ASCII string", () => {
    const s = "x".repeat(300);
    assert.equal(reader(protobuf.Writer.create().string(s).finish()).string(), s);
  });
});

Deno.test("ProtoReader.double() reads a little-endian float64 from a view at an offset", () => {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setFloat64(5, 1.5, true);
  const r = new ProtoReader(bytes.subarray(5, 13));
  assert.equal(r.double(), 1.5);
});

Deno.test("ProtoReader fails with gogo's messages on malformed input", async (t) => {
  const cases: {
    name: string;
    bytes: number[];
    read: (r: ProtoReader) => unknown;
    want: string;
  }[] = [
    {
      name: "varint running past the end",
      bytes: [0x80, 0x80],
      read: (r) => r.int64(),
      want: "unexpected EOF",
    },
    {
      name: "varint of 11 bytes",
      bytes: [...Array(10).fill(0xff), 0x01],
      read: (r) => r.int64(),
      want: "proto: integer overflow",
    },
    {
      name: "negative length",
      bytes: [...Array(9).fill(0xff), 0x01],
      read: (r) => r.bytes(),
      want: "proto: negative length found during unmarshaling",
    },
    {
      name: "length past the end",
      bytes: [0x05, 0x61],
      read: (r) => r.string(),
      want: "unexpected EOF",
    },
    {
      name: "absurd length",
      bytes: [0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x61],
      read: (r) => r.bytes(),
      want: "unexpected EOF",
    },
    {
      name: "double past the end",
      bytes: [1, 2, 3],
      read: (r) => r.double(),
      want: "unexpected EOF",
    },
    {
      name: "illegal wire type",
      bytes: [],
      read: (r) => r.skip(7),
      want: "proto: illegal wireType 7",
    },
    {
      name: "end group without a start",
      bytes: [],
      read: (r) => r.skip(4),
      want: "proto: unexpected end of group",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => c.read(reader(c.bytes)), { name: "SyntaxError", message: c.want });
    });
  }
});

Deno.test("ProtoReader never reads past the end of the message being read", () => {
  // A string of 3 bytes inside a message that ends after 2 of them.
  const r = reader([0x03, 0x61, 0x62, 0x63]);
  r.end = 2;
  assert.throws(() => r.string(), { name: "SyntaxError", message: "unexpected EOF" });
});

Deno.test("ProtoReader.skip() skips every wire type, nested groups included", async (t) => {
  const cases: { name: string; wire: number; write: (w: protobuf.Writer) => void }[] = [
    { name: "varint", wire: 0, write: (w) => w.int64(-1) },
    { name: "fixed64", wire: 1, write: (w) => w.fixed64(7) },
    { name: "length-delimited", wire: 2, write: (w) => w.string("skipped") },
    {
      name: "group with a nested group",
      wire: 3,
      write: (w) =>
        w.uint32((1 << 3) | 0).int32(1).uint32((2 << 3) | 3).uint32((3 << 3) | 2).string("x")
          .uint32((2 << 3) | 4).uint32((9 << 3) | 4),
    },
    { name: "fixed32", wire: 5, write: (w) => w.fixed32(7) },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const w = protobuf.Writer.create();
      c.write(w);
      w.uint32((4 << 3) | 0).int32(42);
      const r = reader(w.finish());
      r.skip(c.wire);
      assert.equal(r.tag(), 4);
      assert.equal(r.int32(), 42);
    });
  }
});
