/**
 * skiff's CRI client against a real containerd (as root, in a temp dir of its own): runtime
 * version and status, images, and a host-network pod's whole lifecycle — sandbox, container,
 * CRI log file, exec, stop and removal.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { CriClient } from "../../node/cri/client.ts";
import { isCriNotFound } from "../../node/cri/errors.ts";
import type { ContainerConfig, PodSandboxConfig } from "../../node/cri/types.ts";
import { startContainerd } from "../_support/containerd_process.ts";

const IMAGE = "localhost/skiff/cri-test:1";
const BUSYBOX = "/usr/bin/busybox";
/** A CRI log line: RFC 3339 time with nanoseconds, stream, full-line tag, text. */
const LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d) stdout F hello$/;

function sha256(data: Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

async function run(argv: string[]): Promise<void> {
  const out = await new Deno.Command(argv[0]!, { args: argv.slice(1), stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`Cannot run "${argv.join(" ")}": ${new TextDecoder().decode(out.stderr)}`);
  }
}

/**
 * Writes a one-layer OCI archive named {@linkcode IMAGE}: `/bin/busybox` plus `sh`, `echo`,
 * `sleep`, `cat` links; its default command sleeps, so it also serves as the sandbox image.
 */
async function buildTestImage(dir: string): Promise<string> {
  const rootfs = join(dir, "rootfs");
  await Deno.mkdir(join(rootfs, "bin"), { recursive: true });
  await Deno.copyFile(BUSYBOX, join(rootfs, "bin", "busybox"));
  for (const applet of ["sh", "echo", "sleep", "cat"]) {
    await Deno.symlink("busybox", join(rootfs, "bin", applet));
  }
  const layerPath = join(dir, "layer.tar");
  await run([
    "tar",
    "--numeric-owner",
    "--owner=0",
    "--group=0",
    "-C",
    rootfs,
    "-cf",
    layerPath,
    ".",
  ]);
  const layer = await Deno.readFile(layerPath);
  const arch = Deno.build.arch === "aarch64" ? "arm64" : "amd64";
  const encoder = new TextEncoder();
  const config = encoder.encode(JSON.stringify({
    architecture: arch,
    os: "linux",
    config: { Env: ["PATH=/bin"], Cmd: ["sleep", "2147483647"] },
    rootfs: { type: "layers", diff_ids: [sha256(layer)] },
  }));
  const manifest = encoder.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: sha256(config),
      size: config.length,
    },
    layers: [{
      mediaType: "application/vnd.oci.image.layer.v1.tar",
      digest: sha256(layer),
      size: layer.length,
    }],
  }));
  const layout = join(dir, "layout");
  const blobs = join(layout, "blobs", "sha256");
  await Deno.mkdir(blobs, { recursive: true });
  for (const blob of [layer, config, manifest]) {
    await Deno.writeFile(join(blobs, sha256(blob).slice("sha256:".length)), blob);
  }
  await Deno.writeTextFile(join(layout, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  await Deno.writeTextFile(
    join(layout, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: sha256(manifest),
        size: manifest.length,
        annotations: { "io.containerd.image.name": IMAGE },
      }],
    }),
  );
  const archive = join(dir, "image.tar");
  await run(["tar", "-C", layout, "-cf", archive, "oci-layout", "index.json", "blobs"]);
  return archive;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Removes the cgroup directories runc left for `parent` (and its ancestors up to `top`) in every
 * hierarchy: the kubelet deletes pod cgroups itself, containerd does not. Deepest first; a
 * directory still in use stays and fails the test.
 */
async function removeCgroups(parent: string, top: string): Promise<void> {
  const roots: string[] = ["/sys/fs/cgroup"];
  for await (const entry of Deno.readDir("/sys/fs/cgroup")) {
    if (entry.isDirectory) roots.push(join("/sys/fs/cgroup", entry.name));
  }
  const levels: string[] = [];
  for (let p = parent; p.startsWith(top); p = p.slice(0, p.lastIndexOf("/"))) levels.push(p);
  for (const root of roots) {
    for (const level of levels) {
      try {
        await Deno.remove(join(root, level));
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
  }
}

async function readIfExists(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "";
    throw err;
  }
}

Deno.test("CriClient drives a real containerd through a host-network pod's lifecycle", async (t) => {
  if (Deno.uid() !== 0) {
    throw new Error("Cannot run the CRI e2e test: it needs root to run containerd");
  }
  const busybox = await Deno.stat(BUSYBOX).catch(() => undefined);
  if (!busybox?.isFile) {
    throw new Error(`Cannot build the test image: no "${BUSYBOX}", run scripts/setup.sh`);
  }
  await using containerd = await startContainerd({ sandboxImage: IMAGE });
  using cri = new CriClient({ endpoint: containerd.endpoint, timeoutMs: 30_000 });
  const work = await Deno.makeTempDir({ prefix: "skiff-cri-e2e-" });
  let sandboxId: string | undefined;
  let failed = false;
  const uid = crypto.randomUUID();
  // Kubelet's layout under a root of the test's own, removed at the end.
  const cgroupTop = `/skiff-cri-e2e-${uid.slice(0, 8)}`;
  const cgroupParent = `${cgroupTop}/besteffort/pod${uid}`;
  /** Runs a step; the first failing one ends the test (later steps build on it). */
  async function step(name: string, fn: () => Promise<void>): Promise<void> {
    if (!await t.step(name, fn)) throw new Error(`Step "${name}" failed`);
  }
  try {
    await cri.waitForReady({ timeoutMs: 10_000 });

    await step("Version", async () => {
      const v = await cri.version({ version: "0.1.0" });
      assert.equal(v.runtimeName, "containerd");
      assert.equal(v.runtimeApiVersion, "v1");
      assert.match(v.runtimeVersion, /1\.6\./);
    });

    await step("Status: the runtime is ready, the network is not (no CNI config)", async () => {
      const { status } = await cri.status();
      const conditions = new Map(status?.conditions.map((c) => [c.type, c]));
      assert.equal(conditions.get("RuntimeReady")?.status, true);
      assert.equal(conditions.get("NetworkReady")?.status, false);
      assert.equal(conditions.get("NetworkReady")?.reason, "NetworkPluginNotReady");
    });

    await step("ImageFsInfo: the snapshotter's filesystem under containerd's root", async () => {
      const { imageFilesystems } = await cri.imageFsInfo();
      assert.ok(imageFilesystems.length >= 1);
      const fs = imageFilesystems[0]!;
      const mountpoint = fs.fsId?.mountpoint ?? "";
      assert.ok(mountpoint.startsWith(containerd.rootDir), mountpoint);
      assert.ok(BigInt(fs.timestamp) > 0n);
      assert.ok(fs.usedBytes !== null);
    });

    await step("ListImages and ImageStatus see an image imported with ctr", async () => {
      assert.deepEqual((await cri.listImages()).images, []);
      await containerd.ctr(["images", "import", await buildTestImage(work)], {
        namespace: "k8s.io",
      });
      const { images } = await cri.listImages();
      const image = images.find((i) => i.repoTags.includes(IMAGE));
      assert.ok(image, `ListImages should show ${IMAGE}: ${JSON.stringify(images)}`);
      assert.match(image.id, /^sha256:[0-9a-f]{64}$/);
      assert.ok(BigInt(image.size) > 0n);
      const status = await cri.imageStatus({ image: { image: IMAGE } });
      assert.equal(status.image?.id, image.id);
      assert.equal(
        (await cri.imageStatus({ image: { image: "localhost/skiff/absent:0" } })).image,
        null,
      );
    });

    const logDirectory = join(work, "pods", `default_cri-test_${uid}`);
    await Deno.mkdir(join(logDirectory, "app"), { recursive: true });
    const sandboxConfig: PodSandboxConfig = {
      metadata: { name: "cri-test", uid, namespace: "default", attempt: 0 },
      hostname: "", // a host-network pod has the node's hostname
      logDirectory,
      labels: { "io.kubernetes.pod.name": "cri-test" },
      annotations: { "skiff.test/annotation": "kept" },
      linux: {
        cgroupParent,
        securityContext: { namespaceOptions: { network: "NODE", pid: "CONTAINER", ipc: "POD" } },
      },
    };

    await step("RunPodSandbox and PodSandboxStatus (host network, no CNI)", async () => {
      sandboxId = (await cri.runPodSandbox({ config: sandboxConfig })).podSandboxId;
      assert.match(sandboxId, /^[0-9a-f]{64}$/);
      const { status } = await cri.podSandboxStatus({ podSandboxId: sandboxId });
      assert.equal(status?.state, "SANDBOX_READY");
      assert.deepEqual(status?.metadata, sandboxConfig.metadata);
      assert.equal(status?.annotations["skiff.test/annotation"], "kept");
      assert.equal(status?.linux?.namespaces?.options?.network, "NODE");
      const listed = await cri.listPodSandbox({ filter: { state: { state: "SANDBOX_READY" } } });
      assert.deepEqual(listed.items.map((s) => s.id), [sandboxId]);
    });

    const containerConfig: ContainerConfig = {
      metadata: { name: "app", attempt: 0 },
      image: { image: IMAGE },
      command: ["sh", "-c"],
      args: ["echo hello; sleep 30"],
      envs: [{ key: "GREETING", value: "hi" }],
      labels: { "io.kubernetes.container.name": "app" },
      logPath: "app/0.log",
    };
    let containerId = "";

    await step("CreateContainer, StartContainer, ContainerStatus: Running", async () => {
      assert.ok(sandboxId);
      containerId = (await cri.createContainer({
        podSandboxId: sandboxId,
        config: containerConfig,
        sandboxConfig,
      })).containerId;
      const created = await cri.containerStatus({ containerId });
      assert.equal(created.status?.state, "CONTAINER_CREATED");
      await cri.startContainer({ containerId });
      const { status } = await cri.containerStatus({ containerId });
      assert.equal(status?.state, "CONTAINER_RUNNING");
      assert.deepEqual(status?.metadata, containerConfig.metadata);
      assert.equal(status?.image?.image, IMAGE);
      assert.ok(BigInt(status?.startedAt ?? "0") > 0n);
      assert.equal(status?.finishedAt, "0");
      assert.equal(status?.logPath, join(logDirectory, "app/0.log"));
      // containerd put the container under the sandbox config's cgroup parent.
      const cgroupDirs = [`/sys/fs/cgroup/memory${cgroupParent}`, `/sys/fs/cgroup${cgroupParent}`]
        .map((dir) => join(dir, containerId));
      const found = await Promise.all(cgroupDirs.map((d) => Deno.stat(d).then(() => d, () => "")));
      assert.ok(found.some((d) => d !== ""), `no cgroup among ${cgroupDirs.join(", ")}`);
      const listed = await cri.listContainers({ filter: { podSandboxId: sandboxId } });
      assert.deepEqual(listed.containers.map((c) => [c.id, c.state]), [[
        containerId,
        "CONTAINER_RUNNING",
      ]]);
    });

    await step("the container's output is in its log file, in CRI log format", async () => {
      const log = await eventually("the log line", async () => {
        const text = await readIfExists(join(logDirectory, "app/0.log"));
        return text.includes("hello") ? text : undefined;
      });
      const lines = log.split("\n").filter((l) => l !== "");
      assert.equal(lines.length, 1, log);
      assert.match(lines[0]!, LOG_LINE);
    });

    await step("ExecSync runs a command and returns its output and exit code", async () => {
      const hi = await cri.execSync({ containerId, cmd: ["echo", "hi"], timeout: 10 });
      assert.equal(new TextDecoder().decode(hi.stdout), "hi\n");
      assert.equal(hi.stderr.length, 0);
      assert.equal(hi.exitCode, 0);
      const env = await cri.execSync({
        containerId,
        cmd: ["sh", "-c", 'echo "$GREETING" >&2; exit 3'],
      });
      assert.equal(new TextDecoder().decode(env.stderr), "hi\n");
      assert.equal(env.exitCode, 3);
    });

    await step("Exec hands out a streaming URL, ContainerStats reports the container", async () => {
      const { url } = await cri.exec({ containerId, cmd: ["sh"], stdout: true });
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/exec\/\S+$/);
      const { stats } = await cri.containerStats({ containerId });
      assert.equal(stats?.attributes?.id, containerId);
      assert.ok(BigInt(stats?.memory?.workingSetBytes?.value ?? "0") > 0n, JSON.stringify(stats));
    });

    await step(
      "StopContainer stops it, RemoveContainer removes it",
      async () => {
        await cri.stopContainer({ containerId, timeout: 2 });
        const { status } = await cri.containerStatus({ containerId });
        assert.equal(status?.state, "CONTAINER_EXITED");
        // SIGTERM ends it (143); were it ignored, the SIGKILL after 2 s would (137).
        assert.ok([137, 143].includes(status?.exitCode ?? 0), `exit code ${status?.exitCode}`);
        assert.equal(status?.reason, "Error");
        assert.ok(BigInt(status?.finishedAt ?? "0") >= BigInt(status?.startedAt ?? "0"));
        await cri.removeContainer({ containerId });
        const gone = await cri.containerStatus({ containerId }).then(() => undefined, (err) => err);
        assert.ok(isCriNotFound(gone), `expected NOT_FOUND, got ${gone}`);
        assert.match(
          String(gone.message),
          /^CRI RuntimeService\/ContainerStatus of container "[0-9a-f]{64}" failed: NOT_FOUND: /,
        );
      },
    );

    await step("StopPodSandbox and RemovePodSandbox (idempotent) leave no sandbox", async () => {
      assert.ok(sandboxId);
      await cri.stopPodSandbox({ podSandboxId: sandboxId });
      assert.equal(
        (await cri.podSandboxStatus({ podSandboxId: sandboxId })).status?.state,
        "SANDBOX_NOTREADY",
      );
      await cri.removePodSandbox({ podSandboxId: sandboxId });
      await cri.removePodSandbox({ podSandboxId: sandboxId });
      sandboxId = undefined;
      assert.deepEqual((await cri.listPodSandbox()).items, []);
      assert.deepEqual((await cri.listContainers()).containers, []);
    });
  } catch (err) {
    failed = true;
    throw new Error(`CRI e2e failed; containerd's log ends:\n${await containerd.logTail(30)}`, {
      cause: err,
    });
  } finally {
    if (sandboxId !== undefined) {
      await cri.stopPodSandbox({ podSandboxId: sandboxId }).catch(() => {});
      await cri.removePodSandbox({ podSandboxId: sandboxId }).catch(() => {});
    }
    await Deno.remove(work, { recursive: true });
    await removeCgroups(cgroupParent, cgroupTop).catch((err) => {
      if (!failed) throw err;
    });
  }
});
