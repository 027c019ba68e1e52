import assert from "node:assert/strict";
import { FakeClock } from "./clock.ts";
import { JsonLogger, type LogLevel, RecordingLogger } from "./logger.ts";
import { BufferWriter } from "./writer.ts";

function jsonLines(out: BufferWriter): Record<string, unknown>[] {
  return out.lines().map((line) => JSON.parse(line));
}

Deno.test("JsonLogger writes one JSON object per line with time, level, msg and fields", () => {
  const out = new BufferWriter();
  const log = new JsonLogger({ writer: out, clock: new FakeClock(Date.UTC(2025, 0, 2, 3, 4, 5)) });
  log.info("Starting skiff server", { dataDir: "/var/lib/skiff", httpsPort: 6443 });
  log.warn("Slow disk");
  assert.deepEqual(jsonLines(out), [
    {
      time: "2025-01-02T03:04:05.000Z",
      level: "info",
      msg: "Starting skiff server",
      dataDir: "/var/lib/skiff",
      httpsPort: 6443,
    },
    { time: "2025-01-02T03:04:05.000Z", level: "warn", msg: "Slow disk" },
  ]);
});

Deno.test("JsonLogger drops debug by default and writes levels at or above the threshold", async (t) => {
  const cases: { level: LogLevel | undefined; written: LogLevel[] }[] = [
    { level: undefined, written: ["error", "warn", "info"] },
    { level: "error", written: ["error"] },
    { level: "warn", written: ["error", "warn"] },
    { level: "info", written: ["error", "warn", "info"] },
    { level: "debug", written: ["error", "warn", "info", "debug"] },
  ];
  for (const c of cases) {
    await t.step(`level ${c.level ?? "(default)"}`, () => {
      const out = new BufferWriter();
      const log = new JsonLogger({ writer: out, ...(c.level ? { level: c.level } : {}) });
      log.error("e");
      log.warn("w");
      log.info("i");
      log.debug("d");
      assert.deepEqual(jsonLines(out).map((r) => r.level), c.written);
    });
  }
});

Deno.test("JsonLogger.with() adds fields, keeps the level and lets message fields win", () => {
  const out = new BufferWriter();
  const log = new JsonLogger({ writer: out, level: "warn", clock: new FakeClock(0) });
  const child = log.with({ component: "api", key: "a" }).with({ key: "b" });
  child.info("dropped");
  child.warn("Kept", { key: "c" });
  assert.deepEqual(jsonLines(out), [
    { time: "1970-01-01T00:00:00.000Z", level: "warn", msg: "Kept", component: "api", key: "c" },
  ]);
});

Deno.test("JsonLogger never lets fields overwrite time, level or msg", () => {
  const out = new BufferWriter();
  const log = new JsonLogger({ writer: out, clock: new FakeClock(0) });
  log.info("Real", { msg: "fake", level: "error" });
  const [record] = jsonLines(out);
  assert.equal(record?.msg, "Real");
  assert.equal(record?.level, "info");
  assert.equal(record?.["field.msg"], "fake");
  assert.equal(record?.["field.level"], "error");
});

Deno.test("JsonLogger serialises errors, bigints, bytes and cycles", () => {
  const out = new BufferWriter();
  const log = new JsonLogger({ writer: out, clock: new FakeClock(0) });
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  log.error("Cannot open storage", {
    err: new Error("Cannot open file", { cause: new TypeError("bad path") }),
    revision: 12n,
    value: new Uint8Array(3),
    cyclic,
  });
  const [record] = jsonLines(out);
  assert.deepEqual(record?.err, {
    name: "Error",
    message: "Cannot open file",
    cause: { name: "TypeError", message: "bad path" },
  });
  assert.equal(record?.revision, "12");
  assert.equal(record?.value, "<3 bytes>");
  assert.deepEqual(record?.cyclic, { a: 1, self: "[Circular]" });
});

Deno.test("RecordingLogger keeps every record, shared with its children", () => {
  const log = new RecordingLogger({ component: "server" });
  log.debug("Debug");
  log.with({ key: "k" }).error("Failed", { attempt: 2 });
  assert.deepEqual(log.records, [
    { level: "debug", msg: "Debug", fields: { component: "server" } },
    { level: "error", msg: "Failed", fields: { component: "server", key: "k", attempt: 2 } },
  ]);
  assert.deepEqual(log.messages(), ["Debug", "Failed"]);
  assert.deepEqual(log.messages("error"), ["Failed"]);
});
