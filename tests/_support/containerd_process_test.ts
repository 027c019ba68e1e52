import assert from "node:assert/strict";
import { join } from "node:path";
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

/** Pids of live processes whose command line contains `marker`. */
async function processesWith(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      if ((await Deno.readTextFile(`/proc/${entry.name}/cmdline`)).includes(marker)) {
        pids.push(Number(entry.name));
      }
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

Deno.test("startContainerd() runs a containerd that ctr reaches and stop() removes every trace of it, even of containers it left", async () => {
  const containerd = await startContainerd();
  const dir = containerd.dir;
  let sleeperPid = 0;
  try {
    assert.match(await containerd.ctr(["version"]), /Server:\s+Version:\s+1\.6/);
    assert.equal(containerd.endpoint, `unix://${containerd.socketPath}`);
    assert.ok(containerd.socketPath.startsWith(`${dir}/`));
    assert.equal(
      await Deno.readLink(join(containerd.cniBinDir, "loopback")),
      "/usr/lib/cni/loopback",
    );
    assert.match(await Deno.readTextFile(containerd.configPath), /^version = 2$/m);
    // A running task leaves a shim behind unless the cleanup ends it.
    const rootfs = join(dir, "rootfs");
    await Deno.mkdir(join(rootfs, "bin"), { recursive: true });
    await Deno.copyFile("/usr/bin/busybox", join(rootfs, "bin", "busybox"));
    await Deno.chmod(join(rootfs, "bin", "busybox"), 0o755);
    await containerd.ctr([
      "run",
      "-d",
      "--runc-root",
      containerd.runcRoot,
      "--rootfs",
      rootfs,
      "sleeper",
      "/bin/busybox",
      "sleep",
      "600",
    ]);
    assert.ok(await exists(join(containerd.runcRoot, "default", "sleeper")), "runc state is ours");
    const tasks = await containerd.ctr(["tasks", "ls"]);
    sleeperPid = Number(/sleeper\s+(\d+)\s+RUNNING/.exec(tasks)?.[1]);
    assert.ok(await exists(`/proc/${sleeperPid}`), tasks);
    assert.equal((await processesWith(containerd.socketPath)).length, 1, "one shim");
    assert.equal((await processesWith(containerd.configPath)).length, 1, "one containerd");
    // containerd gone first: the container must still be found and deleted through runc.
    await containerd.supervisor.stop();
  } finally {
    await containerd.stop();
  }
  await containerd.stop();
  assert.equal(await exists(dir), false);
  assert.equal(await exists(`/proc/${sleeperPid}`), false, "the container's process is gone");
  assert.deepEqual(await processesWith(containerd.socketPath), []);
  assert.deepEqual(await processesWith(containerd.configPath), []);
  const mountinfo = await Deno.readTextFile("/proc/self/mountinfo");
  assert.equal(mountinfo.includes(dir), false);
});

Deno.test("startContainerd() fails with containerd's log when containerd cannot come up", async () => {
  await assert.rejects(
    startContainerd({
      config: { rootDir: "/proc/skiff-cannot-mkdir" },
      readyTimeoutMs: 2_000,
    }),
    (err: Error) => {
      assert.match(
        err.message,
        /^Cannot start containerd in "\/tmp\/skiff-ctd-[^"]+"; its log ends:/,
      );
      assert.match(String((err.cause as Error).message), /Cannot reach containerd at/);
      return true;
    },
  );
});
