import assert from "node:assert/strict";
import {
  cpuBusySecondsOf,
  heapAfterGc,
  procStatusMiB,
  statusSizesMiB,
  ticksOf,
} from "./_proc_stats.ts";

Deno.test("ticksOf() adds utime and stime, even with spaces in the command name", async (t) => {
  const rest = "S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0 100 2000 300";
  await t.step("plain name", () => assert.equal(ticksOf(`42 (deno) ${rest}`), 3));
  await t.step("name with ') '", () => assert.equal(ticksOf(`42 (a) b c) ${rest}`), 3));
});

Deno.test("statusSizesMiB() reads the sizes in MiB and NaN for a missing one", () => {
  const status = "Name:\tdeno\nVmHWM:\t  4096 kB\nVmRSS:\t  2048 kB\nRssAnon:\t1024 kB\n";
  const got = statusSizesMiB(status);
  assert.equal(got.VmRSS, 2);
  assert.equal(got.VmHWM, 4);
  assert.equal(got.RssAnon, 1);
  assert.ok(Number.isNaN(got.RssFile));
});

Deno.test("procStatusMiB() reads this process's resident memory", async () => {
  const got = await procStatusMiB("self");
  assert.ok(got.VmRSS! > 0);
});

Deno.test("heapAfterGc() measures the heap and says whether a GC ran", () => {
  const got = heapAfterGc();
  assert.equal(got.gc, typeof (globalThis as { gc?: unknown }).gc === "function");
  assert.ok(got.heapUsedMiB > 0 && got.heapUsedMiB <= got.heapTotalMiB);
  assert.ok(got.externalMiB >= 0);
});

Deno.test("cpuBusySecondsOf() adds one CPU's busy ticks, without idle and iowait", () => {
  const stat =
    "cpu  9 9 9 9 9 9 9 9 0 0\ncpu0 100 1 50 900 30 2 3 4 0 0\ncpu1 7 0 3 90 0 0 0 0 0 0\n";
  assert.equal(cpuBusySecondsOf(stat, 0), 1.6);
  assert.equal(cpuBusySecondsOf(stat, 1), 0.1);
  assert.ok(Number.isNaN(cpuBusySecondsOf(stat, 2)));
});
