import assert from "node:assert/strict";
import { HostProfiler } from "./_host_profiler.ts";

Deno.test("HostProfiler writes a CPU profile of what ran between start and stopTo", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const profiler = new HostProfiler();
    await profiler.stopTo(`${dir}/none.cpuprofile`);
    await assert.rejects(Deno.stat(`${dir}/none.cpuprofile`), Deno.errors.NotFound);
    await profiler.start();
    let x = 0;
    for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
    assert.ok(x > 0);
    await profiler.stopTo(`${dir}/p.cpuprofile`);
    const profile = JSON.parse(await Deno.readTextFile(`${dir}/p.cpuprofile`));
    assert.ok(Array.isArray(profile.nodes) && profile.nodes.length > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
