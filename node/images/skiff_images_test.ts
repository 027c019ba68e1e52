import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { readTar } from "./_tar_reader.ts";
import { buildOciArchive } from "./oci_archive.ts";
import {
  BUSYBOX_IMAGE,
  busyboxImage,
  DEFAULT_BUSYBOX_APPLETS,
  ociArchitecture,
  PAUSE_IMAGE,
  PAUSE_SCRIPT,
  pauseImage,
} from "./skiff_images.ts";

const FAKE_BUSYBOX = new TextEncoder().encode("\x7fELF not really");
const BUSYBOX = "/usr/bin/busybox";

/** The layer's entries of a built image: path → [type, mode, link target]. */
async function layerOf(image: Parameters<typeof buildOciArchive>[0]) {
  const archive = await buildOciArchive(image);
  const entries = readTar(archive.bytes);
  const layerBlob = entries.find((e) => e.path === `blobs/sha256/${archive.layerDigest.slice(7)}`);
  assert.ok(layerBlob);
  return new Map(
    readTar(new Uint8Array(gunzipSync(layerBlob.content))).map((e) => [e.path, e]),
  );
}

Deno.test("pauseImage() is busybox, sh, sleep and the /pause script as entrypoint", async () => {
  const image = pauseImage({ busybox: FAKE_BUSYBOX, architecture: "amd64", epochSec: 5 });
  assert.equal(image.name, PAUSE_IMAGE);
  assert.deepEqual(image.entrypoint, ["/pause"]);
  assert.equal(image.cmd, undefined);
  assert.equal(image.epochSec, 5);
  const layer = await layerOf(image);
  assert.deepEqual([...layer.keys()], ["bin/", "bin/busybox", "bin/sh", "bin/sleep", "pause"]);
  assert.equal(layer.get("bin/busybox")!.mode, 0o755);
  assert.deepEqual(layer.get("bin/busybox")!.content, FAKE_BUSYBOX);
  assert.equal(layer.get("bin/sh")!.linkTarget, "busybox");
  assert.equal(layer.get("pause")!.mode, 0o755);
  assert.equal(new TextDecoder().decode(layer.get("pause")!.content), PAUSE_SCRIPT);
});

Deno.test("busyboxImage() links the applets into /bin and has users, /tmp and sh as Cmd", async () => {
  const image = busyboxImage({
    busybox: FAKE_BUSYBOX,
    architecture: "arm64",
    applets: ["sh", "httpd", "nc", "wget", "nslookup", "busybox", "sh"],
    busyboxVersion: "1.35.0",
  });
  assert.equal(image.name, BUSYBOX_IMAGE);
  assert.deepEqual(image.cmd, ["sh"]);
  assert.deepEqual(image.labels, { "org.opencontainers.image.version": "1.35.0" });
  const layer = await layerOf(image);
  for (const applet of ["sh", "httpd", "nc", "wget", "nslookup"]) {
    assert.equal(layer.get(`bin/${applet}`)?.linkTarget, "busybox", applet);
  }
  assert.equal(layer.get("bin/busybox")?.type, "0", "busybox itself stays the binary");
  assert.equal(layer.get("usr/bin/env")?.linkTarget, "../../bin/busybox");
  assert.equal(layer.get("tmp/")?.mode, 0o1777);
  assert.equal(layer.get("root/")?.mode, 0o700);
  assert.match(new TextDecoder().decode(layer.get("etc/passwd")?.content), /^root:x:0:0:/);
  assert.match(new TextDecoder().decode(layer.get("etc/group")?.content), /^root:x:0:/);
});

Deno.test("busyboxImage() links the default applets when none are given", async () => {
  const layer = await layerOf(busyboxImage({ busybox: FAKE_BUSYBOX, architecture: "amd64" }));
  for (const applet of ["sh", "httpd", "nc", "wget", "nslookup", "sleep", "cat", "echo", "ls"]) {
    assert.ok(DEFAULT_BUSYBOX_APPLETS.includes(applet), applet);
    assert.equal(layer.get(`bin/${applet}`)?.linkTarget, "busybox", applet);
  }
});

Deno.test("busyboxImage() rejects an applet name that is not a file name", () => {
  assert.throws(
    () => busyboxImage({ busybox: FAKE_BUSYBOX, architecture: "amd64", applets: ["../sh"] }),
    /^TypeError: Cannot link busybox applet "\.\.\/sh": not a file name$/,
  );
});

Deno.test("ociArchitecture() maps machine names to OCI's", async (t) => {
  for (const [arch, oci] of [["x86_64", "amd64"], ["aarch64", "arm64"], ["arm64", "arm64"]]) {
    await t.step(arch!, () => assert.equal(ociArchitecture(arch), oci));
  }
  assert.throws(
    () => ociArchitecture("riscv64"),
    /^RangeError: Cannot build images for architecture "riscv64": only amd64 and arm64$/,
  );
});

/** Runs the pause script under the real busybox sh. */
async function startPause(dir: string): Promise<Deno.ChildProcess> {
  await Deno.writeTextFile(`${dir}/pause`, PAUSE_SCRIPT);
  await Deno.mkdir(`${dir}/bin`);
  for (const applet of ["sh", "sleep"]) await Deno.symlink(BUSYBOX, `${dir}/bin/${applet}`);
  return new Deno.Command(`${dir}/bin/sh`, {
    args: [`${dir}/pause`],
    env: { PATH: `${dir}/bin` },
    clearEnv: true,
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Pids whose parent is `ppid` (the kernel's `children` list of its main thread). */
async function childrenOf(ppid: number): Promise<number[]> {
  const text = await Deno.readTextFile(`/proc/${ppid}/task/${ppid}/children`);
  return text.split(" ").filter((p) => p !== "").map(Number);
}

/** Whether `pid` still runs (a zombie has finished: only its parent's reaping is left). */
async function running(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

// SIGINT is checked under containerd (tests/integration/image_import_test.ts): a shell started
// with SIGINT ignored, as background jobs of a non-interactive shell are, cannot trap it.
Deno.test("PAUSE_SCRIPT exits 0 on SIGTERM and takes its sleeping child with it", async () => {
  const dir = await Deno.makeTempDir();
  const child = await startPause(dir);
  try {
    let sleeper: number | undefined;
    for (let i = 0; i < 200 && sleeper === undefined; i++) {
      sleeper = (await childrenOf(child.pid))[0];
      if (sleeper === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(sleeper !== undefined, "pause started its sleep");
    child.kill("SIGTERM");
    const status = await child.status;
    assert.equal(status.code, 0);
    assert.equal(status.signal, null);
    // Killed by the trap before the shell exits (up to 10 s: a loaded machine is slow).
    let alive = true;
    for (let i = 0; i < 1000 && alive; i++) {
      alive = await running(sleeper);
      if (alive) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(alive, false, "the sleep child was killed");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});
