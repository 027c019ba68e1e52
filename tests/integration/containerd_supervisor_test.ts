/**
 * skiff's containerd supervision against the real containerd 1.6 (as root, in a temp dir with
 * its own socket, root and state): containerd accepts the rendered config, `ctr version`
 * answers, the CRI plugin loads, a `kill -9` of containerd is followed by a restart that keeps
 * running tasks, and a stop leaves no process and no socket behind.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type ContainerdConfigOptions,
  renderContainerdConfig,
} from "../../node/containerd/config.ts";
import { DenoCommandRunner } from "../../node/containerd/command_runner.ts";
import { startContainerd } from "../_support/containerd_process.ts";
import { until } from "../_support/until.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Whether `pid` is a live process whose command line mentions `marker`. */
async function runs(pid: number, marker: string): Promise<boolean> {
  try {
    return (await Deno.readTextFile(`/proc/${pid}/cmdline`)).includes(marker);
  } catch {
    return false;
  }
}

async function busyboxRootfs(dir: string): Promise<string> {
  const rootfs = join(dir, "rootfs");
  await Deno.mkdir(join(rootfs, "bin"), { recursive: true });
  await Deno.copyFile("/usr/bin/busybox", join(rootfs, "bin", "busybox"));
  await Deno.chmod(join(rootfs, "bin", "busybox"), 0o755);
  return rootfs;
}

Deno.test("containerd 1.6 accepts the config skiff renders", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff-ctd-cfg-" });
  try {
    const config: ContainerdConfigOptions = {
      rootDir: join(dir, "root"),
      stateDir: join(dir, "state"),
      socketPath: join(dir, "c.sock"),
      cniBinDir: join(dir, "cni", "bin"),
      cniConfDir: join(dir, "cni", "net.d"),
      registryConfigPath: join(dir, "certs.d"),
      sandboxImage: "localhost/skiff/pause:1",
      snapshotter: "native",
      restrictOomScoreAdj: true,
      netnsMountsUnderStateDir: true,
      maxContainerLogLineSize: 8192,
    };
    const path = join(dir, "config.toml");
    await Deno.writeTextFile(path, renderContainerdConfig(config));
    const out = await new DenoCommandRunner().run([
      "containerd",
      "--config",
      path,
      "config",
      "dump",
    ]);
    assert.equal(out.code, 0, out.stderr);
    const dump = out.stdout.split("\n").map((l) => l.trim());
    for (
      const line of [
        `root = "${config.rootDir}"`,
        `state = "${config.stateDir}"`,
        `address = "${config.socketPath}"`,
        `sandbox_image = "localhost/skiff/pause:1"`,
        `snapshotter = "native"`,
        `restrict_oom_score_adj = true`,
        `netns_mounts_under_state_dir = true`,
        `max_container_log_line_size = 8192`,
        `bin_dir = "${config.cniBinDir}"`,
        `conf_dir = "${config.cniConfDir}"`,
        `config_path = "${config.registryConfigPath}"`,
        `runtime_type = "io.containerd.runc.v2"`,
        `SystemdCgroup = false`,
        `Root = "${config.stateDir}/runc"`,
        `format = "json"`,
      ]
    ) {
      assert.ok(dump.includes(line), `containerd's config dump lacks: ${line}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ContainerdSupervisor runs real containerd, restarts it after kill -9 and stops it", async () => {
  await using containerd = await startContainerd({ backoff: { initialMs: 200 } });
  const sup = containerd.supervisor;
  assert.match(await containerd.ctr(["version"]), /Server:\s+Version:\s+1\.6\./);
  const plugins = (await containerd.ctr(["plugins", "ls"])).split("\n");
  for (const id of ["cri", "overlayfs", "task", "tasks"]) {
    assert.ok(
      plugins.some((l) => l.split(/\s+/)[1] === id && l.trimEnd().endsWith("ok")),
      `plugin ${id} not ok:\n${plugins.join("\n")}`,
    );
  }

  // A task, so the restart can be seen to leave running containers alone.
  const rootfs = await busyboxRootfs(containerd.dir);
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
  assert.match(await containerd.ctr(["tasks", "ls"]), /sleeper\s+\d+\s+RUNNING/);

  const firstPid = sup.pid!;
  Deno.kill(firstPid, "SIGKILL");
  await until(() => sup.restarts === 1 && sup.pid !== undefined, { timeoutMs: 10_000 });
  await sup.ready(10_000);
  assert.notEqual(sup.pid, firstPid);
  assert.equal(await runs(firstPid, containerd.configPath), false);
  assert.match(await containerd.ctr(["version"]), /Server:/);
  assert.match(await containerd.ctr(["tasks", "ls"]), /sleeper\s+\d+\s+RUNNING/);
  assert.match(
    await Deno.readTextFile(containerd.logFile),
    /"msg":"containerd exited, restarting it"/,
  );

  await containerd.ctr(["tasks", "kill", "-s", "SIGKILL", "sleeper"]);
  await until(async () => !/RUNNING/.test(await containerd.ctr(["tasks", "ls"])), {
    timeoutMs: 10_000,
  });
  const secondPid = sup.pid!;
  await sup.stop();
  assert.equal(sup.pid, undefined);
  assert.equal(await runs(secondPid, containerd.configPath), false);
  assert.equal(await exists(containerd.socketPath), false);
  assert.equal(await exists(`${containerd.socketPath}.ttrpc`), false);
});
