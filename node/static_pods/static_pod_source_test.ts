import assert from "node:assert/strict";
import { FakeClock, systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { CONFIG_SEEN_ANNOTATION } from "./static_pod.ts";
import type { DirectoryWatcher } from "../images/importer.ts";
import { isManifestFileName, StaticPodSource, type StaticPodUpdate } from "./static_pod_source.ts";

function manifest(name: string, image = "busybox"): string {
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: app\n    image: ${image}\n`;
}

/** A watcher the test feeds events to. */
class FakeWatcher implements DirectoryWatcher {
  #events: Deno.FsEvent[] = [];
  #wake: (() => void) | undefined;
  #closed = false;
  closes = 0;

  push(path: string): void {
    this.#events.push({ kind: "modify", paths: [path] });
    this.#wake?.();
  }

  close(): void {
    this.closes++;
    this.#closed = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Deno.FsEvent> {
    while (!this.#closed) {
      const event = this.#events.shift();
      if (event) {
        yield event;
        continue;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

/** Lets pending I/O and promise callbacks run (bounded real time, for file reads). */
async function settle(until: () => boolean, what: string, limitMs = 5_000): Promise<void> {
  for (let i = 0; i < limitMs / 2; i++) {
    if (until()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

interface Run extends AsyncDisposable {
  readonly updates: StaticPodUpdate[];
  readonly watcher: FakeWatcher;
  readonly clock: FakeClock;
  /** Sends an event (if given), fires the debounce timer until the directory is read. */
  change(path?: string): Promise<void>;
}

async function runWatch(dir: string, logger = new RecordingLogger()): Promise<Run> {
  const clock = new FakeClock(Date.UTC(2026, 11, 1));
  const watcher = new FakeWatcher();
  const source = new StaticPodSource({
    dir,
    nodeName: "edge-1",
    logger,
    clock,
    debounceMs: 100,
    watchFs: () => watcher,
  });
  const abort = new AbortController();
  const updates: StaticPodUpdate[] = [];
  let scans = 0;
  const origScan = source.scan.bind(source);
  source.scan = async () => {
    const u = await origScan();
    scans++;
    return u;
  };
  const done = (async () => {
    for await (const update of source.watch(abort.signal)) {
      updates.push(update);
    }
  })();
  await settle(() => updates.length === 1, "the first update");
  return {
    updates,
    watcher,
    clock,
    async change(path?: string) {
      const before = scans;
      if (path !== undefined) watcher.push(path);
      for (let i = 0; i < 20 && scans === before; i++) {
        await settle(() => clock.pendingTimers > 0 || scans > before, "the debounce timer");
        if (scans === before) clock.advance(100);
        await settle(() => clock.pendingTimers > 0 || scans > before, "the scan");
      }
      assert.ok(scans > before, "the directory was read");
    },
    async [Symbol.asyncDispose]() {
      abort.abort();
      await done;
    },
  };
}

function names(pods: readonly { metadata?: { name?: string } }[]): string[] {
  return pods.map((p) => p.metadata?.name ?? "");
}

Deno.test("isManifestFileName() takes .yaml, .yml and .json files and no dotfiles", async (t) => {
  const cases: Array<[string, boolean]> = [
    ["web.yaml", true],
    ["web.yml", true],
    ["web.json", true],
    [".web.yaml", false],
    [".web.yaml.swp", false],
    ["web.yaml~", false],
    ["README.md", false],
    ["web.yaml.bak", false],
  ];
  for (const [name, want] of cases) {
    await t.step(name, () => assert.equal(isManifestFileName(name), want));
  }
});

Deno.test("StaticPodSource.scan() reads every manifest, skips other files and logs a bad manifest with its path and cause", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.yaml`, manifest("a"));
    await Deno.writeTextFile(`${dir}/b.yml`, manifest("b"));
    await Deno.writeTextFile(
      `${dir}/c.json`,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "c" },
        spec: { containers: [{ name: "x", image: "busybox" }] },
      }),
    );
    await Deno.writeTextFile(`${dir}/.hidden.yaml`, manifest("hidden"));
    await Deno.writeTextFile(`${dir}/notes.txt`, manifest("notes"));
    await Deno.mkdir(`${dir}/sub.yaml`);
    await Deno.writeTextFile(`${dir}/sub.yaml/d.yaml`, manifest("d"));
    await Deno.writeTextFile(`${dir}/bad.yaml`, "apiVersion: v1\nkind: Pod\nspec: {}\n");
    await Deno.symlink(`${dir}/notes.txt`, `${dir}/linked.yaml`);
    const logger = new RecordingLogger();
    const source = new StaticPodSource({ dir, nodeName: "edge-1", logger });
    const update = await source.scan();
    assert.deepEqual(names(update.pods), ["a-edge-1", "b-edge-1", "c-edge-1", "notes-edge-1"]);
    assert.deepEqual(names(update.added), names(update.pods));
    const errors = logger.records.filter((r) => r.level === "error");
    assert.deepEqual(errors.map((r) => [r.msg, r.fields.path, r.fields.error]), [[
      "Could not process manifest file",
      `${dir}/bad.yaml`,
      `${dir}/bad.yaml: invalid pod: name is needed for the pod`,
    ]]);
    const again = await source.scan();
    assert.equal(again.pods[0], update.pods[0], "an unchanged file gives the same pod");
    assert.deepEqual([again.added, again.updated, again.removed], [[], [], []]);
    assert.equal(logger.records.filter((r) => r.level === "error").length, 1, "logged once");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StaticPodSource.scan() keeps the first of two manifests with the same pod name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/1.yaml`, manifest("web"));
    await Deno.writeTextFile(`${dir}/2.yaml`, manifest("web", "other"));
    const logger = new RecordingLogger();
    const update = await new StaticPodSource({ dir, nodeName: "edge-1", logger }).scan();
    assert.deepEqual(update.pods.map((p) => p.spec?.containers[0]?.image), ["busybox"]);
    const errors = logger.records.filter((r) => r.level === "error");
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]?.fields.error), /duplicate pod name "default\/web-edge-1"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StaticPodSource gives the same UIDs after a restart and keeps config.seen of the pods it is given", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/web.yaml`, manifest("web"));
    const first = await new StaticPodSource({
      dir,
      nodeName: "edge-1",
      logger: new RecordingLogger(),
      clock: new FakeClock(1_000),
    }).scan();
    const restarted = await new StaticPodSource({
      dir,
      nodeName: "edge-1",
      logger: new RecordingLogger(),
      clock: new FakeClock(9_000),
      previous: first.pods,
    }).scan();
    assert.deepEqual(restarted.pods, first.pods);
    assert.equal(
      restarted.pods[0]?.metadata?.annotations?.[CONFIG_SEEN_ANNOTATION],
      "1970-01-01T00:00:01Z",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StaticPodSource.watch() yields the pods, then each add, change and removal after the debounce", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.yaml`, manifest("a"));
    await using run = await runWatch(dir);
    assert.deepEqual(names(run.updates[0]!.pods), ["a-edge-1"]);
    assert.deepEqual(names(run.updates[0]!.added), ["a-edge-1"]);

    await t.step("add", async () => {
      await Deno.writeTextFile(`${dir}/b.yaml`, manifest("b"));
      await run.change(`${dir}/b.yaml`);
      assert.equal(run.updates.length, 2);
      assert.deepEqual(names(run.updates[1]!.added), ["b-edge-1"]);
      assert.deepEqual(names(run.updates[1]!.pods), ["a-edge-1", "b-edge-1"]);
    });
    await t.step("change: a new UID replaces the old", async () => {
      const oldUid = run.updates[1]!.pods[1]!.metadata?.uid;
      await Deno.writeTextFile(`${dir}/b.yaml`, manifest("b", "busybox:1.36"));
      await run.change(`${dir}/b.yaml`);
      const u = run.updates[2]!;
      assert.deepEqual(names(u.added), ["b-edge-1"]);
      assert.deepEqual(u.removed.map((p) => p.metadata?.uid), [oldUid]);
      assert.notEqual(u.added[0]!.metadata?.uid, oldUid);
    });
    await t.step("remove", async () => {
      await Deno.remove(`${dir}/a.yaml`);
      await run.change(`${dir}/a.yaml`);
      assert.deepEqual(names(run.updates[3]!.removed), ["a-edge-1"]);
      assert.deepEqual(names(run.updates[3]!.pods), ["b-edge-1"]);
    });
    await t.step("an event that changes nothing yields nothing", async () => {
      await Deno.writeTextFile(`${dir}/.b.yaml.swp`, "x");
      await Deno.writeTextFile(`${dir}/notes.txt`, "x");
      await run.change(`${dir}/notes.txt`);
      assert.equal(run.updates.length, 4);
    });
    await t.step("a burst is read once, after it settles", async () => {
      await Deno.writeTextFile(`${dir}/c.yaml`, manifest("c"));
      run.watcher.push(`${dir}/c.yaml`);
      await settle(() => run.clock.pendingTimers > 0, "the debounce timer");
      for (let i = 0; i < 5; i++) {
        run.clock.advance(50);
        await Deno.writeTextFile(`${dir}/c.yaml`, manifest("c", `busybox:${i}`));
        run.watcher.push(`${dir}/c.yaml`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      assert.equal(run.updates.length, 4, "nothing while events keep coming");
      await run.change();
      assert.equal(run.updates.length, 5);
      assert.deepEqual(run.updates[4]!.added.map((p) => p.spec?.containers[0]?.image), [
        "busybox:4",
      ]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StaticPodSource.watch() notices manifests through the real Deno.watchFs and creates a missing directory", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/agent/pod-manifests`;
  const abort = new AbortController();
  const source = new StaticPodSource({
    dir,
    nodeName: "edge-1",
    logger: new RecordingLogger(),
    clock: systemClock,
    debounceMs: 20,
  });
  const updates: StaticPodUpdate[] = [];
  const done = (async () => {
    for await (const update of source.watch(abort.signal)) updates.push(update);
  })();
  try {
    await settle(() => updates.length === 1, "the first update");
    assert.deepEqual(updates[0]!.pods, []);
    // Written as editors and installers do: a temporary dotfile renamed into place.
    await Deno.writeTextFile(`${dir}/.web.yaml.tmp`, manifest("web"));
    await Deno.rename(`${dir}/.web.yaml.tmp`, `${dir}/web.yaml`);
    await settle(() => updates.length === 2, "the update after the add");
    assert.deepEqual(names(updates[1]!.added), ["web-edge-1"]);
  } finally {
    abort.abort();
    await done;
    await Deno.remove(root, { recursive: true });
  }
});
