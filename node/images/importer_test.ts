import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { FakeClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { until } from "../../tests/_support/until.ts";
import type { CommandResult, CommandRunner, RunOptions } from "../containerd/command_runner.ts";
import {
  type DirectoryWatcher,
  ImageImporter,
  type ImageImporterOptions,
  isImageArchiveName,
  parseImportedImages,
} from "./importer.ts";

const SOCKET = "/run/test/containerd.sock";
const CTR = ["ctr", "--address", SOCKET, "-n", "k8s.io"];

/**
 * A fake `ctr`: an archive's content is the image name it holds; content starting with
 * `broken` fails as a truncated archive does.
 */
class FakeCtr implements CommandRunner {
  readonly calls: string[][] = [];
  /** The file content each import read. */
  readonly imported: string[] = [];
  readonly images = new Set<string>();
  /** Called while an import runs (after the file is read). */
  duringImport: (() => Promise<void>) | undefined;

  async run(argv: readonly string[], _options?: RunOptions): Promise<CommandResult> {
    this.calls.push([...argv]);
    const args = argv.slice(CTR.length);
    if (args.join(" ") === "images ls -q") {
      return { code: 0, stdout: [...this.images].map((i) => `${i}\n`).join(""), stderr: "" };
    }
    if (args[0] === "images" && args[1] === "import") {
      const content = await Deno.readTextFile(args.at(-1)!);
      this.imported.push(content);
      await this.duringImport?.();
      if (content.startsWith("broken")) {
        return {
          code: 1,
          stdout: "",
          stderr: 'ctr: failed to ingest "blobs/sha256/ab": unexpected EOF\n',
        };
      }
      this.images.add(content);
      return { code: 0, stdout: `unpacking ${content} (sha256:0123abcd)...done\n`, stderr: "" };
    }
    return { code: 2, stdout: "", stderr: `unexpected command ${argv.join(" ")}` };
  }

  get importCalls(): string[][] {
    return this.calls.filter((c) => c[CTR.length + 1] === "import");
  }
}

/** A watcher the test feeds events into. */
class FakeWatcher implements DirectoryWatcher {
  readonly #events: Deno.FsEvent[] = [];
  #wake: (() => void) | undefined;
  closed = false;

  constructor(readonly dir: string) {}

  emit(kind: Deno.FsEvent["kind"], ...names: string[]): void {
    this.#events.push({ kind, paths: names.map((n) => `${this.dir}/${n}`) });
    this.#wake?.();
  }

  close(): void {
    this.closed = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Deno.FsEvent> {
    while (!this.closed) {
      const next = this.#events.shift();
      if (next) {
        yield next;
      } else {
        await new Promise<void>((resolve) => this.#wake = resolve);
        this.#wake = undefined;
      }
    }
  }
}

interface Setup extends AsyncDisposable {
  readonly dir: string;
  readonly ctr: FakeCtr;
  readonly clock: FakeClock;
  readonly logger: RecordingLogger;
  readonly stateFile: string;
  importer(options?: Partial<ImageImporterOptions>): ImageImporter;
  /** The watcher of the last importer that runs. */
  watcher(): FakeWatcher;
  write(name: string, content: string | Uint8Array): Promise<void>;
  state(): Promise<Record<string, { size: number; images: string[] }>>;
}

async function setup(): Promise<Setup> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-images-" });
  const ctr = new FakeCtr();
  const clock = new FakeClock(1_000_000);
  const logger = new RecordingLogger();
  let lastWatcher: FakeWatcher | undefined;
  return {
    dir,
    ctr,
    clock,
    logger,
    stateFile: `${dir}/.imported.json`,
    importer: (options = {}) =>
      new ImageImporter({
        runner: ctr,
        logger,
        clock,
        watch: (d) => lastWatcher = new FakeWatcher(d),
      }, { dir, socketPath: SOCKET, ...options }),
    watcher: () => {
      assert.ok(lastWatcher, "the importer watches");
      return lastWatcher;
    },
    write: (name, content) =>
      typeof content === "string"
        ? Deno.writeTextFile(`${dir}/${name}`, content)
        : Deno.writeFile(`${dir}/${name}`, content),
    state: async () => JSON.parse(await Deno.readTextFile(`${dir}/.imported.json`)).files,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

function messages(logger: RecordingLogger, level: string): string[] {
  return logger.records.filter((r) => r.level === level).map((r) => r.msg);
}

Deno.test("isImageArchiveName() takes tar and gzip'd tar archives but no hidden files", async (t) => {
  const cases: [string, boolean][] = [
    ["pause.tar", true],
    ["app.tar.gz", true],
    ["app.tgz", true],
    [".pause.tar", false],
    [".imported.json", false],
    ["pause.tar.part", false],
    ["images.txt", false],
    ["app.tar.zst", false],
  ];
  for (const [name, want] of cases) {
    await t.step(name, () => assert.equal(isImageArchiveName(name), want));
  }
});

Deno.test("parseImportedImages() reads the image names ctr reports", () => {
  const out = "unpacking docker.io/skiff/pause:3.9 (sha256:4e01)...done\n" +
    "unpacking docker.io/library/nginx:1.25 (sha256:77aa)...done\n";
  assert.deepEqual(parseImportedImages(out), [
    "docker.io/skiff/pause:3.9",
    "docker.io/library/nginx:1.25",
  ]);
  assert.deepEqual(parseImportedImages(""), []);
});

Deno.test("ImageImporter.importAll() imports every archive in name order with ctr", async () => {
  await using s = await setup();
  await s.write("pause.tar", "docker.io/skiff/pause:3.9");
  await s.write("busybox.tar", "docker.io/skiff/busybox:1.36");
  await s.write("notes.txt", "not an image");
  await s.write(".hidden.tar", "not seen");
  const summary = await s.importer().importAll();
  assert.deepEqual(summary, { imported: ["busybox.tar", "pause.tar"], skipped: [], failed: [] });
  assert.deepEqual(s.ctr.calls, [
    [...CTR, "images", "import", "--all-platforms", `${s.dir}/busybox.tar`],
    [...CTR, "images", "import", "--all-platforms", `${s.dir}/pause.tar`],
  ]);
  const state = await s.state();
  assert.deepEqual(Object.keys(state), ["busybox.tar", "pause.tar"]);
  assert.deepEqual(state["pause.tar"]!.images, ["docker.io/skiff/pause:3.9"]);
  assert.equal(state["pause.tar"]!.size, "docker.io/skiff/pause:3.9".length);
  const logged = s.logger.records.filter((r) => r.msg === "Imported image archive");
  assert.deepEqual(logged.map((r) => r.fields.file), ["busybox.tar", "pause.tar"]);
  assert.deepEqual(logged[1]!.fields.images, ["docker.io/skiff/pause:3.9"]);
});

Deno.test("ImageImporter.importAll() after a restart skips what was imported and leaves the state file alone", async () => {
  await using s = await setup();
  await s.write("pause.tar", "docker.io/skiff/pause:3.9");
  await s.importer().importAll();
  const before = await Deno.stat(s.stateFile);
  s.ctr.calls.length = 0;
  const summary = await s.importer().importAll();
  assert.deepEqual(summary, { imported: [], skipped: ["pause.tar"], failed: [] });
  assert.deepEqual(s.ctr.calls, [[...CTR, "images", "ls", "-q"]], "only the presence check");
  const after = await Deno.stat(s.stateFile);
  assert.equal(after.ino, before.ino, "the state file was not rewritten");
});

Deno.test("ImageImporter.importAll() imports again when containerd lost an archive's images", async () => {
  await using s = await setup();
  await s.write("pause.tar", "docker.io/skiff/pause:3.9");
  await s.write("busybox.tar", "docker.io/skiff/busybox:1.36");
  await s.importer().importAll();
  s.ctr.images.delete("docker.io/skiff/busybox:1.36"); // e.g. a wiped containerd root
  const summary = await s.importer().importAll();
  assert.deepEqual(summary, { imported: ["busybox.tar"], skipped: ["pause.tar"], failed: [] });
});

Deno.test("ImageImporter.importAll() imports a changed archive and forgets a deleted one", async () => {
  await using s = await setup();
  await s.write("app.tar", "docker.io/team/app:1");
  await s.write("old.tar", "docker.io/team/old:1");
  await s.importer().importAll();
  await s.write("app.tar", "docker.io/team/app:22");
  await Deno.remove(`${s.dir}/old.tar`);
  const summary = await s.importer().importAll();
  assert.deepEqual(summary, { imported: ["app.tar"], skipped: [], failed: [] });
  assert.deepEqual(Object.keys(await s.state()), ["app.tar"]);
  assert.deepEqual((await s.state())["app.tar"]!.images, ["docker.io/team/app:22"]);
});

Deno.test("ImageImporter.importAll() reports a failing archive and does not remember it", async () => {
  await using s = await setup();
  await s.write("bad.tar", "broken archive");
  await s.write("good.tar", "docker.io/team/good:1");
  const summary = await s.importer().importAll();
  assert.deepEqual(summary, { imported: ["good.tar"], skipped: [], failed: ["bad.tar"] });
  assert.deepEqual(Object.keys(await s.state()), ["good.tar"]);
  const warning = s.logger.records.find((r) => r.msg === "Cannot import image archive, retrying");
  assert.equal(warning?.fields.file, "bad.tar");
  assert.equal(
    warning?.fields.error,
    'Cannot import "bad.tar" with ctr: exit code 1: ctr: failed to ingest "blobs/sha256/ab": unexpected EOF',
  );
});

Deno.test("ImageImporter.importAll() decompresses gzip'd archives into workDir and passes the snapshotter", async () => {
  await using s = await setup();
  const workDir = `${s.dir}/work`;
  await s.write("app.tar.gz", gzipSync(new TextEncoder().encode("docker.io/team/app:1")));
  const summary = await s.importer({ workDir, snapshotter: "native" }).importAll();
  assert.deepEqual(summary.imported, ["app.tar.gz"]);
  assert.deepEqual(s.ctr.imported, ["docker.io/team/app:1"], "ctr read the decompressed tar");
  const argv = s.ctr.importCalls[0]!;
  assert.deepEqual(argv.slice(CTR.length, -1), [
    "images",
    "import",
    "--all-platforms",
    "--snapshotter",
    "native",
  ]);
  assert.match(argv.at(-1)!, new RegExp(`^${workDir}/\\.import-[0-9a-f]{8}\\.tar$`));
  assert.deepEqual(await Array.fromAsync(Deno.readDir(workDir)), [], "the temporary tar is gone");
});

Deno.test("ImageImporter.importAll() starts over when the state file is not its own", async () => {
  await using s = await setup();
  await Deno.writeTextFile(s.stateFile, "{not json");
  await s.write("pause.tar", "docker.io/skiff/pause:3.9");
  const summary = await s.importer().importAll();
  assert.deepEqual(summary.imported, ["pause.tar"]);
  assert.deepEqual(messages(s.logger, "warn"), ["Ignoring image import state"]);
  assert.deepEqual(Object.keys(await s.state()), ["pause.tar"]);
});

Deno.test("ImageImporter.run() imports at start, then each archive once its writer is done", async (t) => {
  await using s = await setup();
  await s.write("pause.tar", "docker.io/skiff/pause:3.9");
  const importer = s.importer({ settleMs: 500 });
  const controller = new AbortController();
  const running = importer.run(controller.signal);
  await importer.ready;
  assert.deepEqual(s.ctr.imported, ["docker.io/skiff/pause:3.9"]);
  const watcher = s.watcher();

  await t.step("closed after writing: imported at once", async () => {
    await s.write("a.tar", "docker.io/team/a:1");
    watcher.emit("create", "a.tar");
    watcher.emit("modify", "a.tar");
    watcher.emit("access", "a.tar");
    await until(() => s.ctr.imported.length === 2, { what: "a.tar imported" });
    assert.equal(s.ctr.imported[1], "docker.io/team/a:1");
  });
  await t.step("renamed into the directory: imported at once", async () => {
    await s.write("b.tar", "docker.io/team/b:1");
    watcher.emit("rename", "b.tar.part", "b.tar");
    await until(() => s.ctr.imported.length === 3, { what: "b.tar imported" });
    assert.equal(s.ctr.imported[2], "docker.io/team/b:1");
  });
  await t.step("changed without a close: imported once quiet for settleMs", async () => {
    await s.write("c.tar", "docker.io/team/c:1");
    watcher.emit("modify", "c.tar");
    await until(() => s.clock.pendingTimers === 1, { what: "the settle timer" });
    s.clock.advance(499);
    watcher.emit("modify", "c.tar"); // more writes restart the wait
    await until(() => s.clock.pendingTimers === 1, { what: "the restarted settle timer" });
    s.clock.advance(499);
    assert.equal(s.ctr.imported.length, 3, "not yet");
    s.clock.advance(1);
    await until(() => s.ctr.imported.length === 4, { what: "c.tar imported" });
  });
  await t.step("other files, hidden files and unchanged archives are left alone", async () => {
    await s.write("notes.txt", "x");
    watcher.emit("access", "notes.txt", ".imported.json", ".imported.json.tmp-1234");
    watcher.emit("access", "b.tar"); // unchanged: skipped without ctr
    // Events are handled in order, so once d.tar is in, the ones before it were handled.
    await s.write("d.tar", "docker.io/team/d:1");
    watcher.emit("access", "d.tar");
    await until(() => s.ctr.images.has("docker.io/team/d:1"), { what: "d.tar imported" });
    assert.deepEqual(s.ctr.importCalls.map((c) => c.at(-1)!.slice(s.dir.length + 1)), [
      "pause.tar",
      "a.tar",
      "b.tar",
      "c.tar",
      "d.tar",
    ]);
  });
  await t.step("removed: forgotten", async () => {
    await Deno.remove(`${s.dir}/a.tar`);
    watcher.emit("remove", "a.tar");
    await until(async () => !("a.tar" in await s.state()), { what: "a.tar forgotten" });
  });

  controller.abort();
  await running;
  assert.equal(watcher.closed, true);
  assert.deepEqual(
    messages(s.logger, "info").filter((m) => m.startsWith("Starting") || m.startsWith("Shutting")),
    ["Starting image importer", "Shutting down image importer"],
  );
  assert.deepEqual(messages(s.logger, "error"), []);
});

Deno.test("ImageImporter.run() retries a failing archive with backoff, then waits for it to change", async () => {
  await using s = await setup();
  await s.write("app.tar", "broken: still being copied");
  const importer = s.importer({ retry: { initialMs: 1000, maxMs: 3000 }, maxAttempts: 4 });
  const controller = new AbortController();
  const running = importer.run(controller.signal);
  await importer.ready;
  assert.equal(s.ctr.importCalls.length, 1);
  for (const [delayMs, attempts] of [[1000, 2], [2000, 3], [3000, 4]] as const) {
    await until(() => s.clock.pendingTimers === 1, { what: `retry timer ${attempts}` });
    s.clock.advance(delayMs - 1);
    assert.equal(s.ctr.importCalls.length, attempts - 1);
    s.clock.advance(1);
    await until(() => s.ctr.importCalls.length === attempts, { what: `attempt ${attempts}` });
  }
  await until(() => messages(s.logger, "error").length === 1, { what: "giving up" });
  assert.deepEqual(messages(s.logger, "error"), [
    "Cannot import image archive, waiting for it to change",
  ]);
  assert.equal(s.clock.pendingTimers, 0, "no timer once given up");
  s.watcher().emit("access", "app.tar"); // unchanged: still given up
  await s.write("app.tar", "docker.io/team/app:1");
  s.watcher().emit("access", "app.tar");
  await until(() => s.ctr.images.has("docker.io/team/app:1"), { what: "the fixed archive" });
  assert.equal(s.ctr.importCalls.length, 5);
  controller.abort();
  await running;
});

Deno.test("ImageImporter.run() does not remember an archive that changed while ctr read it", async () => {
  await using s = await setup();
  const importer = s.importer({ settleMs: 100 });
  const controller = new AbortController();
  const running = importer.run(controller.signal);
  await importer.ready;
  await s.write("app.tar", "docker.io/team/app:1");
  s.ctr.duringImport = async () => {
    s.ctr.duringImport = undefined;
    await Deno.writeTextFile(`${s.dir}/app.tar`, "docker.io/team/app:1-more");
  };
  s.watcher().emit("access", "app.tar");
  await until(() => s.clock.pendingTimers === 1, { what: "the settle timer" });
  assert.equal(await Deno.stat(s.stateFile).then(() => true, () => false), false);
  s.clock.advance(100);
  await until(() => s.ctr.imported.length === 2, { what: "the second import" });
  await until(async () => (await s.state())["app.tar"] !== undefined, { what: "state" });
  assert.deepEqual((await s.state())["app.tar"]!.images, ["docker.io/team/app:1-more"]);
  controller.abort();
  await running;
});

Deno.test("ImageImporter.run() fails when the directory watch ends on its own", async () => {
  await using s = await setup();
  const importer = s.importer();
  const running = importer.run(new AbortController().signal);
  await importer.ready;
  s.watcher().close();
  await assert.rejects(running, (err: Error) => {
    assert.equal(err.message, `Cannot import image archives from "${s.dir}"`);
    assert.equal((err.cause as Error).message, "the directory watch ended");
    return true;
  });
  assert.deepEqual(messages(s.logger, "info").at(-1), "Shutting down image importer");
});
