import assert from "node:assert/strict";
import { startContainerd } from "./containerd_process.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

Deno.test("startContainerd() runs a containerd that ctr reaches and removes every trace of it", async () => {
  const containerd = await startContainerd();
  let dir: string;
  try {
    dir = containerd.dir;
    assert.match(await containerd.ctr(["version"]), /Server:\s+Version:\s+1\.6/);
    assert.equal(containerd.endpoint, `unix://${containerd.socketPath}`);
    assert.ok(containerd.supervisor.pid !== undefined);
    assert.ok(await exists(containerd.socketPath));
  } finally {
    await containerd.stop();
  }
  assert.equal(await exists(dir), false);
  const mountinfo = await Deno.readTextFile("/proc/self/mountinfo");
  assert.equal(mountinfo.includes(dir), false);
});
