/**
 * skiff's CNI plugin under a real containerd (as root): containerd runs inside a network
 * namespace this test creates (`nsenter --net`, as a node of a multi-node test would), with
 * the conflist from `writeCniConfig` and the plugin from `installCniPlugin` (the `deno run`
 * wrapper of a checkout, on `cni/_main.ts`); a pod sandbox that is not host-network gets an address from the
 * node's pod CIDR, is reachable from the node, has its hostPort mapped, and gives everything
 * back when it is stopped and removed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { DenoCommandRunner } from "../../node/containerd/command_runner.ts";
import { CriClient } from "../../node/cri/client.ts";
import type { PodSandboxConfig } from "../../node/cri/types.ts";
import { ImageImporter } from "../../node/images/importer.ts";
import { PAUSE_IMAGE } from "../../node/images/skiff_images.ts";
import { installCniPlugin } from "../../node/network/cni_plugin_install.ts";
import { writeCniConfig } from "../../node/network/cni_config.ts";
import { startContainerd } from "../_support/containerd_process.ts";
import { until } from "../_support/until.ts";

const BUILD_SCRIPT = fileURLToPath(new URL("../../scripts/build_images.ts", import.meta.url));
/** The plugin entry the agent installs from a checkout. */
const PLUGIN_URL = new URL("../../cni/_main.ts", import.meta.url).href;
const decoder = new TextDecoder();

async function must(argv: string[]): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    throw new Error(`Cannot run "${argv[0]}" (scripts/setup.sh installs it)`, { cause: err });
  }
  if (!out.success) throw new Error(`"${argv.join(" ")}" failed: ${decoder.decode(out.stderr)}`);
  return decoder.decode(out.stdout);
}

/** Removes the cgroup `path` (one level) from every hierarchy; it must be empty by then. */
async function removeCgroup(path: string): Promise<void> {
  const roots = ["/sys/fs/cgroup"];
  for await (const entry of Deno.readDir("/sys/fs/cgroup")) {
    if (entry.isDirectory) roots.push(join("/sys/fs/cgroup", entry.name));
  }
  for (const root of roots) {
    await Deno.remove(join(root, path)).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  }
}

Deno.test("skiff CNI: containerd gives a pod sandbox an address from the pod CIDR through skiff's plugin", async () => {
  const work = await Deno.makeTempDir({ prefix: "skiff-cni-ctrd-" });
  const node = `skcni${crypto.randomUUID().slice(0, 6)}-node`;
  const netns = `/var/run/netns/${node}`;
  const cgroupParent = `/skiff-cni-e2e-${crypto.randomUUID().slice(0, 8)}`;
  await must(["ip", "netns", "add", node]);
  try {
    await must(["ip", "-n", node, "link", "set", "lo", "up"]);
    const images = join(work, "images");
    await must([Deno.execPath(), "run", "-A", BUILD_SCRIPT, "--out", images]);
    await using containerd = await startContainerd({
      launcher: ["nsenter", `--net=${netns}`],
      sandboxImage: PAUSE_IMAGE,
    });
    const denoDir = Deno.env.get("DENO_DIR");
    await installCniPlugin({
      binDir: containerd.cniBinDir,
      executable: Deno.execPath(),
      moduleUrl: PLUGIN_URL,
      ...(denoDir ? { env: { DENO_DIR: denoDir } } : {}),
    });
    const ipamDir = join(work, "ipam");
    await writeCniConfig({
      confDir: containerd.cniConfDir,
      podCidr: "10.42.9.0/24",
      clusterCidr: "10.42.0.0/16",
      mtu: 1400,
      ipamDataDir: ipamDir,
    });
    const summary = await new ImageImporter(
      { runner: new DenoCommandRunner(), logger: new RecordingLogger(), clock: systemClock },
      { dir: images, socketPath: containerd.socketPath, workDir: join(work, "import") },
    ).importAll();
    assert.deepEqual(summary.failed, []);

    using cri = new CriClient({ endpoint: containerd.endpoint, timeoutMs: 60_000 });
    await until(async () => {
      const status = await cri.status({});
      return status.status?.conditions.some((c) => c.type === "NetworkReady" && c.status) ?? false;
    }, { what: "containerd's NetworkReady", timeoutMs: 20_000, intervalMs: 200 });

    const uid = crypto.randomUUID();
    const config: PodSandboxConfig = {
      metadata: { name: "cni-test", uid, namespace: "default", attempt: 0 },
      hostname: "cni-test",
      logDirectory: join(work, "pods", uid),
      portMappings: [{ protocol: "TCP", containerPort: 80, hostPort: 8080 }],
      linux: {
        cgroupParent,
        securityContext: { namespaceOptions: { network: "POD", pid: "CONTAINER", ipc: "POD" } },
      },
    };
    await Deno.mkdir(config.logDirectory!, { recursive: true });
    const sandboxId = (await cri.runPodSandbox({ config })).podSandboxId;
    try {
      const { status } = await cri.podSandboxStatus({ podSandboxId: sandboxId });
      assert.equal(status?.state, "SANDBOX_READY");
      const ip = status?.network?.ip ?? "";
      assert.match(ip, /^10\.42\.9\.(\d+)$/);
      assert.notEqual(ip, "10.42.9.1");
      assert.equal(await Deno.readTextFile(join(ipamDir, "skiff", ip)), `${sandboxId}\r\neth0`);

      // The node reaches the pod over its bridge; the hostPort is mapped to it.
      await must(["nsenter", `--net=${netns}`, "busybox", "ping", "-c", "1", "-W", "3", ip]);
      const map = await must([
        "nsenter",
        `--net=${netns}`,
        "nft",
        "list",
        "map",
        "ip",
        "skiff-cni",
        "hostports",
      ]);
      assert.match(map, new RegExp(`tcp \\. 8080 : ${ip.replaceAll(".", "\\.")} \\. 80`));
      const ruleset = await must(["nsenter", `--net=${netns}`, "nft", "list", "ruleset"]);
      assert.match(
        ruleset,
        /ip saddr 10\.42\.9\.0\/24 ip daddr != 10\.42\.0\.0\/16 ip daddr != 224\.0\.0\.0\/4 masquerade/,
      );

      await cri.stopPodSandbox({ podSandboxId: sandboxId });
      await cri.removePodSandbox({ podSandboxId: sandboxId });
      const left = (await Array.fromAsync(Deno.readDir(join(ipamDir, "skiff")))).map((e) => e.name);
      assert.ok(!left.includes(ip), `the address is still allocated: ${left.join(", ")}`);
      const links = await must(["ip", "-n", node, "-o", "link", "show"]);
      assert.doesNotMatch(links, /veth/);
      assert.doesNotMatch(
        await must([
          "nsenter",
          `--net=${netns}`,
          "nft",
          "list",
          "map",
          "ip",
          "skiff-cni",
          "hostports",
        ]),
        /8080/,
      );
    } catch (err) {
      await cri.stopPodSandbox({ podSandboxId: sandboxId }).catch(() => {});
      await cri.removePodSandbox({ podSandboxId: sandboxId }).catch(() => {});
      throw new Error(
        `${err instanceof Error ? err.message : err}\ncontainerd log:\n${await containerd.logTail(
          40,
        )}`,
        {
          cause: err,
        },
      );
    }
  } finally {
    await must(["ip", "netns", "del", node]).catch(() => {});
    await removeCgroup(cgroupParent);
    await Deno.remove(work, { recursive: true });
  }
});
