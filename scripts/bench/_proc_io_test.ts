import assert from "node:assert/strict";
import { parseProcIo, pidsWhere, procIo } from "./_proc_io.ts";

Deno.test("parseProcIo() reads the counters and NaN for a missing one", () => {
  const got = parseProcIo(
    "rchar: 6976\nwchar: 120\nsyscr: 10\nsyscw: 2\nread_bytes: 4096\nwrite_bytes: 8192\n",
  );
  assert.equal(got.wchar, 120);
  assert.equal(got.writeBytes, 8192);
  assert.equal(got.readBytes, 4096);
  assert.ok(Number.isNaN(got.cancelledWriteBytes));
});

Deno.test("procIo() reads this process's counters", async () => {
  const got = await procIo("self");
  assert.ok(got.wchar >= 0);
  assert.ok(got.writeBytes >= 0);
});

Deno.test("pidsWhere() finds processes by their command line", async () => {
  const mine = await Deno.readTextFile("/proc/self/cmdline");
  const argv0 = mine.split("\0")[0]!;
  const pids = await pidsWhere((argv) => argv[0] === argv0);
  assert.ok(pids.includes(Deno.pid));
  assert.deepEqual(await pidsWhere(() => false), []);
});
