/**
 * skiff's own images against a real containerd (as root): `scripts/build_images.ts` builds the
 * pause and busybox archives, the {@linkcode ImageImporter} imports one found at start and one
 * written later (slowly: the half-written file fails and is imported once complete), and
 * containerd runs them — busybox's `sh`, `httpd`, `wget`; pause exits 0 on SIGTERM and SIGINT.
 * A restarted importer imports nothing again.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import {
  type CommandResult,
  type CommandRunner,
  DenoCommandRunner,
  type RunOptions,
} from "../../node/containerd/command_runner.ts";
import { ImageImporter } from "../../node/images/importer.ts";
import { BUSYBOX_IMAGE, PAUSE_IMAGE } from "../../node/images/skiff_images.ts";
import { type ContainerdProcess, startContainerd } from "../_support/containerd_process.ts";
import { until } from "../_support/until.ts";

const BUILD_SCRIPT = fileURLToPath(new URL("../../scripts/build_images.ts", import.meta.url));
const decoder = new TextDecoder();

/** The real runner, counting the `ctr images import` calls. */
class CountingRunner implements CommandRunner {
  readonly #real = new DenoCommandRunner();
  imports = 0;

  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult> {
    if (argv.includes("import")) this.imports++;
    return this.#real.run(argv, options);
  }
}

async function buildImages(outDir: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", BUILD_SCRIPT, "--out", outDir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, decoder.decode(out.stderr));
  const printed = decoder.decode(out.stdout);
  assert.match(
    printed,
    /pause\.tar: docker\.io\/skiff\/pause:3\.9 sha256:[0-9a-f]{64} \(\d+ bytes\)/,
  );
  assert.match(printed, /busybox\.tar: docker\.io\/skiff\/busybox:1\.36 sha256:[0-9a-f]{64}/);
}

async function imageNames(containerd: ContainerdProcess): Promise<string[]> {
  const out = await containerd.ctr(["images", "ls", "-q"], { namespace: "k8s.io" });
  return out.split("\n").filter((l) => l !== "" && !l.startsWith("sha256:")).sort();
}

/** `ctr run --rm <image> <id> …cmd` in the k8s.io namespace; returns its stdout. */
function ctrRun(containerd: ContainerdProcess, image: string, id: string, cmd: string[]) {
  return containerd.ctr(["run", "--rm", image, id, ...cmd], { namespace: "k8s.io" });
}

/** Runs the pause image in the foreground, sends `signal`, and returns ctr's exit code. */
async function pauseExitOn(
  containerd: ContainerdProcess,
  id: string,
  signal: "SIGTERM" | "SIGINT",
): Promise<number> {
  const ctr = new Deno.Command("ctr", {
    args: ["--address", containerd.socketPath, "-n", "k8s.io", "run", "--rm", PAUSE_IMAGE, id],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    await until(async () => {
      const tasks = await containerd.ctr(["tasks", "ls"], { namespace: "k8s.io" });
      return new RegExp(`^${id}\\s+\\d+\\s+RUNNING`, "m").test(tasks);
    }, { what: `pause task ${id} running`, timeoutMs: 15_000 });
    await containerd.ctr(["tasks", "kill", "-s", signal, id], { namespace: "k8s.io" });
    const deadline = setTimeout(() => ctr.kill("SIGKILL"), 10_000);
    const out = await ctr.output();
    clearTimeout(deadline);
    assert.equal(out.signal, null, `pause ignored ${signal}: ${decoder.decode(out.stderr)}`);
    return out.code;
  } catch (err) {
    try {
      ctr.kill("SIGKILL");
    } catch {
      // exited
    }
    await ctr.output().catch(() => {});
    throw err;
  }
}

Deno.test("ImageImporter imports skiff's images into a real containerd, which runs them", async (t) => {
  const work = await Deno.makeTempDir({ prefix: "skiff-images-it-" });
  const containerd = await startContainerd({ sandboxImage: PAUSE_IMAGE });
  try {
    const dist = join(work, "dist");
    const imagesDir = join(work, "agent", "images");
    await buildImages(dist);
    await Deno.mkdir(imagesDir, { recursive: true });
    await Deno.copyFile(join(dist, "pause.tar"), join(imagesDir, "pause.tar"));

    const runner = new CountingRunner();
    const logger = new RecordingLogger();
    const importer = new ImageImporter(
      { runner, logger, clock: systemClock },
      { dir: imagesDir, socketPath: containerd.socketPath, settleMs: 200 },
    );
    const controller = new AbortController();
    const running = importer.run(controller.signal);
    try {
      await t.step("the archive present at start is imported before ready", async () => {
        await importer.ready;
        assert.deepEqual(await imageNames(containerd), [PAUSE_IMAGE]);
      });

      await t.step("an archive written slowly is imported once complete", async () => {
        const bytes = await Deno.readFile(join(dist, "busybox.tar"));
        const file = await Deno.open(join(imagesDir, "busybox.tar"), {
          write: true,
          createNew: true,
        });
        try {
          await file.write(bytes.subarray(0, bytes.length >> 1));
          // Quiet longer than settleMs: the importer tries the half file, and ctr fails on it.
          await until(
            () => logger.records.some((r) => r.msg === "Cannot import image archive, retrying"),
            { what: "the half-written archive to fail", timeoutMs: 15_000 },
          );
          let off = bytes.length >> 1;
          while (off < bytes.length) off += await file.write(bytes.subarray(off));
        } finally {
          file.close();
        }
        await until(
          () =>
            logger.records.some((r) =>
              r.msg === "Imported image archive" && r.fields.file === "busybox.tar"
            ),
          { what: "busybox imported", timeoutMs: 15_000 },
        );
        const failed = logger.records.find((r) =>
          r.msg === "Cannot import image archive, retrying"
        );
        assert.match(
          String(failed?.fields.error),
          /^Cannot import "busybox\.tar" with ctr: exit code 1: /,
        );
        assert.deepEqual(await imageNames(containerd), [BUSYBOX_IMAGE, PAUSE_IMAGE]);
      });

      await t.step("the CRI plugin sees the imported images", async () => {
        const list = await containerd.ctr(["images", "ls"], { namespace: "k8s.io" });
        for (const image of [PAUSE_IMAGE, BUSYBOX_IMAGE]) {
          const line = list.split("\n").find((l) => l.startsWith(`${image} `));
          assert.match(line ?? "", /io\.cri-containerd\.image=managed/, image);
        }
      });
    } finally {
      controller.abort();
      await running;
    }

    await t.step("busybox runs sh, and serves with httpd what wget fetches", async () => {
      assert.equal(await ctrRun(containerd, BUSYBOX_IMAGE, "t1", ["sh", "-c", "echo ok"]), "ok\n");
      const script = "echo hi > /tmp/index.html && httpd -p 127.0.0.1:8080 -h /tmp && " +
        "wget -qO- http://127.0.0.1:8080/index.html && " +
        "for a in nc nslookup wget httpd sleep cat ls; do echo $a $(readlink /bin/$a); done";
      assert.equal(
        await ctrRun(containerd, BUSYBOX_IMAGE, "t2", ["sh", "-c", script]),
        "hi\nnc busybox\nnslookup busybox\nwget busybox\nhttpd busybox\nsleep busybox\n" +
          "cat busybox\nls busybox\n",
      );
    });

    await t.step("pause runs until SIGTERM or SIGINT and then exits 0", async () => {
      assert.equal(await pauseExitOn(containerd, "p1", "SIGTERM"), 0);
      assert.equal(await pauseExitOn(containerd, "p2", "SIGINT"), 0);
    });

    await t.step("a restarted importer imports nothing again", async () => {
      const again = new CountingRunner();
      const summary = await new ImageImporter(
        { runner: again, logger: new RecordingLogger(), clock: systemClock },
        { dir: imagesDir, socketPath: containerd.socketPath },
      ).importAll();
      assert.deepEqual(summary, {
        imported: [],
        skipped: ["busybox.tar", "pause.tar"],
        failed: [],
      });
      assert.equal(again.imports, 0);
    });
  } finally {
    await containerd.stop();
    await Deno.remove(work, { recursive: true });
  }
});
