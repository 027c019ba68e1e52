import assert from "node:assert/strict";
import type { INamespace } from "protobufjs";
import { ProtoSchema } from "./_proto_codec.ts";

// protobufjs's typings leave out map fields' keyType, which the CRI descriptor uses too.
const DESCRIPTOR = {
  nested: {
    test: {
      nested: {
        Color: { values: { RED: 0, GREEN: 1, BLUE: 2 } },
        Inner: { fields: { name: { type: "string", id: 1 }, n: { type: "int32", id: 2 } } },
        Outer: {
          fields: {
            i64: { type: "int64", id: 1 },
            u64: { type: "uint64", id: 2 },
            i32: { type: "int32", id: 3 },
            u32: { type: "uint32", id: 4 },
            flag: { type: "bool", id: 5 },
            text: { type: "string", id: 6 },
            data: { type: "bytes", id: 7 },
            color: { type: "Color", id: 8 },
            inner: { type: "Inner", id: 9 },
            inners: { type: "Inner", id: 10, rule: "repeated" },
            numbers: { type: "int64", id: 11, rule: "repeated" },
            colors: { type: "Color", id: 12, rule: "repeated" },
            labels: { type: "string", id: 13, keyType: "string" },
            words: { type: "string", id: 14, rule: "repeated" },
            mode: { type: "Mode", id: 15 },
          },
          nested: { Mode: { values: { OFF: 0, ON: 1 } } },
        },
      },
    },
  },
} as unknown as INamespace;

const schema = new ProtoSchema(DESCRIPTOR, "test");
const outer = schema.codec("Outer");

function hex(octets: Uint8Array): string {
  return Array.from(octets, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text.split(" ").filter((x) => x), (x) => parseInt(x, 16));
}

const EMPTY = {
  i64: "0",
  u64: "0",
  i32: 0,
  u32: 0,
  flag: false,
  text: "",
  data: new Uint8Array(0),
  color: "RED",
  inner: null,
  inners: [],
  numbers: [],
  colors: [],
  labels: {},
  words: [],
  mode: "OFF",
};

Deno.test("ProtoSchema codecs encode the proto3 wire format", async (t) => {
  const cases: { name: string; value: Record<string, unknown>; wire: string }[] = [
    { name: "nothing set", value: {}, wire: "" },
    {
      name: "defaults given are written",
      value: { i32: 0, text: "", flag: false },
      wire: "18 00 28 00 32 00",
    },
    { name: "int64 from a string", value: { i64: "300" }, wire: "08 ac 02" },
    {
      name: "int64 -1 takes 10 octets",
      value: { i64: -1 },
      wire: "08 ff ff ff ff ff ff ff ff ff 01",
    },
    {
      name: "int64 from a bigint",
      value: { i64: 2n ** 62n },
      wire: "08 80 80 80 80 80 80 80 80 40",
    },
    {
      name: "uint64 max",
      value: { u64: "18446744073709551615" },
      wire: "10 ff ff ff ff ff ff ff ff ff 01",
    },
    { name: "int32 -2", value: { i32: -2 }, wire: "18 fe ff ff ff ff ff ff ff ff 01" },
    { name: "uint32 max", value: { u32: 4294967295 }, wire: "20 ff ff ff ff 0f" },
    { name: "bool and UTF-8 string", value: { flag: true, text: "é" }, wire: "28 01 32 02 c3 a9" },
    { name: "bytes, also from base64", value: { data: "AQI=" }, wire: "3a 02 01 02" },
    { name: "enums by name and number", value: { color: "BLUE", mode: 1 }, wire: "40 02 78 01" },
    { name: "a nested message, also empty", value: { inner: {} }, wire: "4a 00" },
    {
      name: "repeated messages",
      value: { inners: [{ name: "a" }, { n: 1 }] },
      wire: "52 03 0a 01 61 52 02 10 01",
    },
    {
      name: "repeated numbers and enums packed",
      value: { numbers: [1, "2"], colors: ["GREEN", "BLUE"] },
      wire: "5a 02 01 02 62 02 01 02",
    },
    { name: "empty repeated fields are left out", value: { numbers: [], words: [] }, wire: "" },
    { name: "repeated strings", value: { words: ["x", ""] }, wire: "72 01 78 72 00" },
    {
      name: "map entries with key and value",
      value: { labels: { a: "1", b: "" } },
      wire: "6a 06 0a 01 61 12 01 31 6a 05 0a 01 62 12 00",
    },
    { name: "null and undefined are left out", value: { inner: null, text: undefined }, wire: "" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(hex(outer.encode(c.value)), c.wire));
  }
});

Deno.test("ProtoSchema codecs decode with every field present", async (t) => {
  const cases: { name: string; wire: string; want: Record<string, unknown> }[] = [
    { name: "empty: all defaults", wire: "", want: EMPTY },
    {
      name: "64-bit integers as decimal strings, signed and unsigned",
      wire: "08 ff ff ff ff ff ff ff ff ff 01 10 ff ff ff ff ff ff ff ff ff 01",
      want: { ...EMPTY, i64: "-1", u64: "18446744073709551615" },
    },
    {
      name: "int32 -2 and uint32 max",
      wire: "18 fe ff ff ff ff ff ff ff ff 01 20 ff ff ff ff 0f",
      want: { ...EMPTY, i32: -2, u32: 4294967295 },
    },
    { name: "an unknown enum number stays a number", wire: "40 07", want: { ...EMPTY, color: 7 } },
    {
      name: "a nested message with its defaults",
      wire: "4a 00",
      want: { ...EMPTY, inner: { name: "", n: 0 } },
    },
    {
      name: "repeated numbers packed and not",
      wire: "5a 02 01 02 58 03 60 01",
      want: { ...EMPTY, numbers: ["1", "2", "3"], colors: ["GREEN"] },
    },
    {
      name: "map entries, one without its value",
      wire: "6a 06 0a 01 61 12 01 31 6a 03 0a 01 62",
      want: { ...EMPTY, labels: { a: "1", b: "" } },
    },
    {
      name: "the last of a repeated singular field wins",
      wire: "32 01 61 32 01 62",
      want: { ...EMPTY, text: "b" },
    },
    {
      name: "unknown fields of every wire type are skipped",
      wire: "a0 06 01 a9 06 01 02 03 04 05 06 07 08 b2 06 02 68 69 bd 06 01 02 03 04 32 01 7a",
      want: { ...EMPTY, text: "z" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(outer.decode(bytesOf(c.wire)), c.want));
  }
});

Deno.test("ProtoSchema codecs round-trip a full message", () => {
  const value = {
    i64: "-9223372036854775808",
    u64: "12345678901234567890",
    i32: -2147483648,
    u32: 7,
    flag: true,
    text: "hello",
    data: Uint8Array.of(0, 255),
    color: "GREEN",
    inner: { name: "in", n: -1 },
    inners: [{ name: "a", n: 0 }],
    numbers: ["-5", "0", "9007199254740993"],
    colors: ["BLUE", "RED"],
    labels: { k: "v" },
    words: ["one", "two"],
    mode: "ON",
  };
  assert.deepEqual(outer.decode(outer.encode(value)), value);
});

Deno.test("ProtoSchema codecs write lengths of any size before nested parts", async (t) => {
  for (const size of [42, 43, 127, 128, 16_383, 16_384, 2_100_000]) {
    await t.step(`a string of ${size} inside a nested message`, () => {
      const name = "n".repeat(size);
      const value = { inner: { name }, labels: { [name]: "v" }, words: [name, "é".repeat(size)] };
      const decoded = outer.decode(outer.encode(value));
      assert.equal((decoded.inner as { name: string }).name, name);
      assert.deepEqual(decoded.labels, { [name]: "v" });
      assert.deepEqual(decoded.words, [name, "é".repeat(size)]);
    });
  }
  // The length of a 200-octet part takes two octets: c8 01.
  assert.equal(
    hex(outer.encode({ inner: { name: "x".repeat(198) } })).slice(0, 14),
    "4a c9 01 0a c6",
  );
});

Deno.test("ProtoSchema codecs refuse values and octets that do not fit", async (t) => {
  const bad: [name: string, value: Record<string, unknown>, message: RegExp][] = [
    ["a string for a message", { inner: "x" }, /Outer\.inner: an object expected/],
    ["an object for a repeated field", { words: "x" }, /Outer\.words: an array expected/],
    ["an unknown enum name", { color: "PURPLE" }, /Outer\.color: "PURPLE" is not a Color/],
    ["a non-integer int64", { i64: "1.5" }, /Outer\.i64: "1.5" is not an integer/],
  ];
  for (const [name, value, message] of bad) {
    await t.step(
      name,
      () => assert.throws(() => outer.encode(value), { name: "TypeError", message }),
    );
  }
  const broken: [name: string, wire: string][] = [
    ["a string running past the end", "32 05 61"],
    ["a varint cut short", "08 ff"],
    ["a group (wire type 3)", "0b"],
    ["a fixed64 cut short", "a9 06 01"],
  ];
  for (const [name, wire] of broken) {
    await t.step(name, () => assert.throws(() => outer.decode(bytesOf(wire)), SyntaxError));
  }
  await t.step("unknown types and packages", () => {
    assert.throws(() => schema.codec("Nope"), {
      name: "TypeError",
      message: 'Unknown message type "Nope"',
    });
    assert.throws(() => new ProtoSchema(DESCRIPTOR, "other"), TypeError);
    assert.throws(
      () =>
        new ProtoSchema({
          nested: { p: { nested: { M: { fields: { x: { type: "Missing", id: 1 } } } } } },
        }, "p"),
      /Cannot resolve type "Missing" of field "x"/,
    );
  });
});
