import assert from "node:assert/strict";
import {
  endsLogicalLine,
  parseCriLogLine,
  parseCriLogTime,
  PartialLineJoiner,
} from "./cri_log_parser.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("parseCriLogLine() parses full and partial lines", async (t) => {
  const cases = [
    {
      name: "full stdout line keeps its newline",
      line: "2026-11-22T05:32:13.944100601Z stdout F hello stdout line1\n",
      stream: "stdout",
      partial: false,
      content: "hello stdout line1\n",
      fixed: "2026-11-22T05:32:13.944100601Z",
    },
    {
      name: "partial stderr fragment loses its newline",
      line: "2026-11-22T05:32:13.9Z stderr P abc\n",
      stream: "stderr",
      partial: true,
      content: "abc",
      fixed: "2026-11-22T05:32:13.900000000Z",
    },
    {
      name: "extra tags after a colon",
      line: "2026-11-22T05:32:13Z stdout P:x y\n",
      stream: "stdout",
      partial: true,
      content: "y",
      fixed: "2026-11-22T05:32:13.000000000Z",
    },
    {
      name: "offset kept and empty content",
      line: "2026-11-22T07:32:13.5+02:00 stdout F \n",
      stream: "stdout",
      partial: false,
      content: "\n",
      fixed: "2026-11-22T07:32:13.500000000+02:00",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const e = parseCriLogLine(enc.encode(c.line));
      assert.equal(e.stream, c.stream);
      assert.equal(e.partial, c.partial);
      assert.equal(dec.decode(e.content), c.content);
      assert.equal(e.fixedTimestamp, c.fixed);
    });
  }
});

Deno.test("parseCriLogLine() throws the kubelet's errors for malformed lines", async (t) => {
  const cases = [
    ["no space", "garbage", "timestamp is not found"],
    [
      "bad time",
      "yesterday stdout F x",
      'unexpected timestamp format "2006-01-02T15:04:05.999999999Z07:00": ' +
      'parsing time "yesterday" as "2006-01-02T15:04:05.999999999Z07:00"',
    ],
    ["no stream end", "2026-11-22T05:32:13Z stdout", "stream type is not found"],
    ["bad stream", "2026-11-22T05:32:13Z stdin F x", 'unexpected stream type "stdin"'],
    ["no tag end", "2026-11-22T05:32:13Z stdout F", "log tag is not found"],
  ] as const;
  for (const [name, line, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => parseCriLogLine(enc.encode(line)), { name: "SyntaxError", message });
    });
  }
});

Deno.test("parseCriLogTime() converts to epoch nanoseconds across offsets", () => {
  const utc = parseCriLogTime("2026-11-22T05:32:13.000000001Z");
  const plus = parseCriLogTime("2026-11-22T07:32:13.000000001+02:00");
  assert.equal(utc.timeNs, BigInt(Date.UTC(2026, 10, 22, 5, 32, 13)) * 1_000_000n + 1n);
  assert.equal(plus.timeNs, utc.timeNs);
  assert.throws(() => parseCriLogTime("2026-02-30T00:00:00Z"), SyntaxError);
});

Deno.test("endsLogicalLine() is false only for a P tag", async (t) => {
  const cases = [
    ["F", "2026-11-22T05:32:13Z stdout F x", true],
    ["P", "2026-11-22T05:32:13Z stdout P x", false],
    ["P with tags", "2026-11-22T05:32:13Z stdout P:a x", false],
    ["malformed", "junk", true],
    ["PX tag", "2026-11-22T05:32:13Z stdout PX x", true],
  ] as const;
  for (const [name, line, want] of cases) {
    await t.step(name, () => assert.equal(endsLogicalLine(enc.encode(line)), want));
  }
});

Deno.test("PartialLineJoiner.push() joins fragments per stream with the first time", () => {
  const j = new PartialLineJoiner();
  const p = (s: string) => parseCriLogLine(enc.encode(s));
  assert.equal(j.push(p("2026-11-22T05:32:13.1Z stdout P ab\n")), undefined);
  assert.equal(j.push(p("2026-11-22T05:32:13.2Z stderr P xy\n")), undefined);
  const out = j.push(p("2026-11-22T05:32:13.3Z stdout F cd\n"));
  assert.ok(out !== undefined);
  assert.equal(dec.decode(out.content), "abcd\n");
  assert.equal(out.fixedTimestamp, "2026-11-22T05:32:13.100000000Z");
  assert.equal(out.partial, false);
  const rest = j.flush();
  assert.equal(rest.length, 1);
  assert.equal(dec.decode(rest[0]?.content), "xy");
  assert.deepEqual(j.flush(), []);
});
