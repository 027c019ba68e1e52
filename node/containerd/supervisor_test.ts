import assert from "node:assert/strict";
import { join } from "node:path";
import { FakeClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import type { CommandResult, CommandRunner } from "./command_runner.ts";
import type { ContainerdConfigOptions } from "./config.ts";
import type { ChildExit, ProcessSpawner, SpawnedProcess } from "./process_spawner.ts";
import {
  ContainerdSupervisor,
  type ContainerdSupervisorOptions,
  socketPathOfEndpoint,
} from "./supervisor.ts";

/** A child that lives until told to exit; SIGTERM/SIGKILL end it unless `ignoreTerm`. */
class FakeProcess implements SpawnedProcess {
  readonly pid: number;
  readonly output: ReadableStream<Uint8Array>;
  readonly exited: Promise<ChildExit>;
  readonly signals: Deno.Signal[] = [];
  ignoreTerm = false;
  alive = true;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #resolve!: (exit: ChildExit) => void;

  constructor(pid: number) {
    this.pid = pid;
    this.output = new ReadableStream({ start: (c) => void (this.#controller = c) });
    this.exited = new Promise((resolve) => this.#resolve = resolve);
  }

  print(text: string): void {
    this.#controller.enqueue(new TextEncoder().encode(text));
  }

  exit(code: number, signal: Deno.Signal | null = null): void {
    if (!this.alive) return;
    this.alive = false;
    this.#controller.close();
    this.#resolve({ code, signal });
  }

  kill(signal: Deno.Signal): void {
    this.signals.push(signal);
    if (signal === "SIGKILL") this.exit(137, "SIGKILL");
    else if (signal === "SIGTERM" && !this.ignoreTerm) this.exit(0);
  }
}

class FakeSpawner implements ProcessSpawner {
  readonly spawned: FakeProcess[] = [];
  readonly argvs: string[][] = [];
  readonly spawnTimes: number[] = [];
  fail: Error | undefined;
  #clock: FakeClock;

  constructor(clock: FakeClock) {
    this.#clock = clock;
  }

  spawn(argv: readonly string[]): SpawnedProcess {
    if (this.fail) throw this.fail;
    const p = new FakeProcess(1000 + this.spawned.length);
    this.spawned.push(p);
    this.argvs.push([...argv]);
    this.spawnTimes.push(this.#clock.now());
    return p;
  }

  get current(): FakeProcess | undefined {
    const last = this.spawned.at(-1);
    return last?.alive ? last : undefined;
  }
}

interface Harness {
  readonly dir: string;
  readonly clock: FakeClock;
  readonly logger: RecordingLogger;
  readonly spawner: FakeSpawner;
  readonly ctrCalls: string[][];
  readonly dialTimes: number[];
  /** Whether a live child answers on its socket. */
  answering: boolean;
  /** Whether something answers with no child of ours (another containerd, or an external one). */
  foreign: boolean;
  /** Pids of a containerd running with our config that we did not start (a killed agent's). */
  leftover: number[];
  /** The command lines looked for. */
  readonly searched: string[][];
  /** Signals sent, as `SIGTERM 4242`. */
  readonly signals: string[];
  readonly config: ContainerdConfigOptions;
  readonly configPath: string;
  supervisor(options?: Partial<ContainerdSupervisorOptions>): ContainerdSupervisor;
}

async function harness(): Promise<Harness & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-sup-test-" });
  const clock = new FakeClock(1_000_000);
  const logger = new RecordingLogger();
  const spawner = new FakeSpawner(clock);
  const ctrCalls: string[][] = [];
  const dialTimes: number[] = [];
  const config: ContainerdConfigOptions = {
    rootDir: join(dir, "root"),
    stateDir: join(dir, "state"),
    socketPath: join(dir, "run", "containerd.sock"),
    cniBinDir: join(dir, "cni", "bin"),
    cniConfDir: join(dir, "cni", "net.d"),
    sandboxImage: "localhost/skiff/pause:1",
  };
  const h: Harness & AsyncDisposable = {
    dir,
    clock,
    logger,
    spawner,
    ctrCalls,
    dialTimes,
    answering: true,
    foreign: false,
    leftover: [],
    searched: [],
    signals: [],
    config,
    configPath: join(dir, "etc", "config.toml"),
    supervisor(options = {}) {
      const runner: CommandRunner = {
        run(argv): Promise<CommandResult> {
          ctrCalls.push([...argv]);
          const ok = h.foreign || (spawner.current !== undefined && h.answering);
          return Promise.resolve(
            ok ? { code: 0, stdout: "Server:\n", stderr: "" } : {
              code: 1,
              stdout: "",
              stderr: "ctr: failed to dial",
            },
          );
        },
      };
      return new ContainerdSupervisor(
        {
          mode: "managed",
          configPath: h.configPath,
          config,
          ...options,
        } as ContainerdSupervisorOptions,
        {
          logger,
          clock,
          spawner,
          runner,
          dialer(path) {
            assert.ok(path.length > 0);
            dialTimes.push(clock.now());
            return Promise.resolve(h.foreign || (spawner.current !== undefined && h.answering));
          },
          findProcesses(argv) {
            h.searched.push([...argv]);
            return Promise.resolve([...h.leftover]);
          },
          signalProcess(pid, signal) {
            h.signals.push(`${signal} ${pid}`);
            // The leftover containerd exits on SIGTERM, taking its socket's answers with it.
            h.leftover = h.leftover.filter((p) => p !== pid);
            if (h.leftover.length === 0) h.foreign = false;
            return true;
          },
        },
      );
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
  return h;
}

/** Lets promises and real file I/O run, advancing the fake clock by `stepMs` per turn. */
async function until(cond: () => boolean, clock?: FakeClock, stepMs = 10): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("Condition not met within 5 s");
    await new Promise((resolve) => setTimeout(resolve, 1));
    clock?.advance(stepMs);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("ContainerdSupervisor.start() writes the config, starts containerd and waits for ctr version", async () => {
  await using h = await harness();
  const sup = h.supervisor({ launcher: ["nsenter", "--net=/var/run/netns/n1"] });
  await sup.start();
  assert.deepEqual(h.spawner.argvs, [[
    "nsenter",
    "--net=/var/run/netns/n1",
    "containerd",
    "--config",
    h.configPath,
  ]]);
  assert.equal(sup.pid, 1000);
  assert.equal(sup.endpoint, `unix://${h.config.socketPath}`);
  assert.deepEqual(h.ctrCalls, [[
    "ctr",
    "--address",
    h.config.socketPath,
    "--timeout",
    "5s",
    "version",
  ]]);
  const text = await Deno.readTextFile(h.configPath);
  assert.match(text, /^version = 2$/m);
  assert.equal((await Deno.stat(h.configPath)).mode! & 0o777, 0o600);
  for (const dir of [h.config.cniBinDir, h.config.cniConfDir, join(h.dir, "run")]) {
    assert.ok((await Deno.stat(dir)).isDirectory, dir);
  }
  assert.deepEqual(h.logger.messages("info"), [
    "Starting containerd",
    "Wrote containerd config",
    "containerd is ready",
  ]);
  await sup.stop();
});

Deno.test("ContainerdSupervisor.start() leaves an unchanged config file alone", async () => {
  await using h = await harness();
  await using first = h.supervisor();
  await first.start();
  await first.stop();
  const before = await Deno.stat(h.configPath);
  await using second = h.supervisor();
  await second.start();
  const after = await Deno.stat(h.configPath);
  assert.equal(after.ino, before.ino);
  assert.equal(h.logger.messages("info").filter((m) => m === "Wrote containerd config").length, 1);
});

Deno.test("ContainerdSupervisor.start() polls the socket with a bounded backoff", async () => {
  await using h = await harness();
  h.answering = false;
  const sup = h.supervisor();
  const started = sup.start();
  await until(() => h.dialTimes.length >= 8, h.clock, 25);
  h.answering = true;
  await until(() => h.ctrCalls.length > 0, h.clock, 25);
  await started;
  const gaps = h.dialTimes.slice(1, 8).map((t, i) => t - h.dialTimes[i]!);
  // 50, 100, 200, 400, 800 ms, then capped at 1 s (the 25 ms steps round up).
  const want = [50, 100, 200, 400, 800, 1000, 1000];
  gaps.forEach((gap, i) => assert.ok(gap >= want[i]! && gap < want[i]! + 25, `gap ${i}: ${gap}`));
  await sup.stop();
});

Deno.test("ContainerdSupervisor.start() gives up after readyTimeoutMs and stops containerd", async () => {
  await using h = await harness();
  h.answering = false;
  const sup = h.supervisor({ readyTimeoutMs: 3_000 });
  const started = sup.start();
  await until(() => h.spawner.spawned.length === 1);
  h.spawner.spawned[0]!.print(`{"level":"error","msg":"failed to load plugin","time":"x"}\n`);
  const failed = assert.rejects(started, (err: Error) => {
    assert.equal(
      err.message,
      `Cannot reach containerd at "${h.config.socketPath}" within 3000 ms: socket "${h.config.socketPath}" does not accept connections; its last output:\n{"level":"error","msg":"failed to load plugin","time":"x"}`,
    );
    return true;
  });
  await until(() => h.spawner.spawned[0]!.signals.length > 0, h.clock, 100);
  await failed;
  assert.deepEqual(h.spawner.spawned[0]!.signals, ["SIGTERM"]);
  assert.equal(sup.pid, undefined);
});

Deno.test("ContainerdSupervisor.start() fails when containerd cannot be started", async () => {
  await using h = await harness();
  h.spawner.fail = new Error("No such file or directory (os error 2)");
  const sup = h.supervisor({ containerdPath: "/nope/containerd" });
  await assert.rejects(sup.start(), {
    message: `Cannot start containerd "/nope/containerd --config ${h.configPath}"`,
  });
});

Deno.test("ContainerdSupervisor.start() removes a stale socket and refuses one that is served", async (t) => {
  await t.step("stale socket and .ttrpc are removed", async () => {
    await using h = await harness();
    await Deno.mkdir(join(h.dir, "run"), { recursive: true });
    await Deno.writeTextFile(h.config.socketPath, "");
    await Deno.writeTextFile(`${h.config.socketPath}.ttrpc`, "");
    const sup = h.supervisor();
    h.answering = false;
    const started = sup.start();
    await until(() => h.spawner.spawned.length === 1);
    assert.equal(await exists(h.config.socketPath), false);
    assert.equal(await exists(`${h.config.socketPath}.ttrpc`), false);
    h.answering = true;
    await until(() => h.ctrCalls.length > 0, h.clock);
    await started;
    await sup.stop();
  });
  await t.step("a socket someone serves is not taken over", async () => {
    await using h = await harness();
    await Deno.mkdir(join(h.dir, "run"), { recursive: true });
    await Deno.writeTextFile(h.config.socketPath, "");
    h.foreign = true;
    const sup = h.supervisor();
    await assert.rejects(sup.start(), {
      message:
        `Cannot start containerd: socket "${h.config.socketPath}" is already served by another process`,
    });
    assert.equal(h.spawner.spawned.length, 0);
    assert.equal(await exists(h.config.socketPath), true);
    assert.deepEqual(h.searched, [["containerd", "--config", h.configPath]]);
  });
  await t.step("the containerd a killed agent left with this config is replaced", async () => {
    await using h = await harness();
    await Deno.mkdir(join(h.dir, "run"), { recursive: true });
    await Deno.writeTextFile(h.config.socketPath, "");
    h.foreign = true;
    h.leftover = [4242];
    const sup = h.supervisor();
    const started = sup.start();
    await until(() => h.spawner.spawned.length === 1, h.clock);
    assert.deepEqual(h.signals, ["SIGTERM 4242"]);
    await started;
    assert.ok(
      h.logger.messages("info").includes("Stopping the containerd a previous agent left running"),
    );
    await sup.stop();
  });
});

Deno.test("ContainerdSupervisor restarts containerd with exponential backoff, reset after a long run", async () => {
  await using h = await harness();
  const sup = h.supervisor();
  await sup.start();
  // Crash at once, seven times: delays 1, 2, 4, 8, 16, 30, 30 s.
  for (let i = 0; i < 7; i++) {
    const n = h.spawner.spawned.length;
    h.spawner.current!.exit(2);
    await until(() => h.spawner.spawned.length === n + 1, h.clock, 250);
  }
  const delays = () =>
    h.logger.records.filter((r) => r.msg === "containerd exited, restarting it").map((r) =>
      r.fields.delayMs
    );
  assert.deepEqual(delays(), [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  const gaps = h.spawner.spawnTimes.slice(1).map((t, i) => t - h.spawner.spawnTimes[i]!);
  gaps.forEach((gap, i) => assert.ok(gap >= (delays()[i] as number), `gap ${i}: ${gap}`));
  assert.equal(sup.restarts, 7);
  // Runs 60 s, then dies: back to 1 s.
  h.clock.advance(60_000);
  h.spawner.current!.exit(1);
  await until(() => h.spawner.spawned.length === 9, h.clock, 100);
  assert.equal(delays().at(-1), 1_000);
  const warn = h.logger.records.find((r) => r.msg === "containerd exited, restarting it");
  assert.deepEqual(warn?.fields, {
    component: "containerd",
    code: 2,
    signal: null,
    ranMs: 0,
    delayMs: 1_000,
  });
  await sup.stop();
  assert.equal(h.spawner.spawned.every((p) => !p.alive), true);
});

Deno.test("ContainerdSupervisor forwards containerd's log lines", async () => {
  await using h = await harness();
  const sup = h.supervisor();
  await sup.start();
  const p = h.spawner.current!;
  p.print(`{"level":"info","msg":"loading plugin","type":"io.containerd.content.v1","time":"t"}\n`);
  p.print(
    `{"level":"warning","msg":"failed to load plugin","error":"boom","time":"t"}\n{"level":"er`,
  );
  p.print(`ror","msg":"failed to load cni during init","time":"t"}\npanic: oh no\n\n`);
  p.print(`time="2026-12-01T17:00:00Z" level=info msg="shim disconnected" id=abc\n`);
  p.print("goroutine 1");
  await sup.stop();
  const forwarded = h.logger.records.filter((r) =>
    r.fields.component === "containerd" && !/containerd/.test(r.msg)
  );
  assert.deepEqual(forwarded, [
    {
      level: "debug",
      msg: "loading plugin",
      fields: { component: "containerd", type: "io.containerd.content.v1" },
    },
    {
      level: "warn",
      msg: "failed to load plugin",
      fields: { component: "containerd", error: "boom" },
    },
    {
      level: "warn",
      msg: "failed to load cni during init",
      fields: { component: "containerd", containerdLevel: "error" },
    },
  ]);
  assert.deepEqual(
    h.logger.records.filter((r) => r.msg === "containerd output").map((r) =>
      `${r.level} ${r.fields.line}`
    ),
    [
      "warn panic: oh no",
      'debug time="2026-12-01T17:00:00Z" level=info msg="shim disconnected" id=abc',
      "warn goroutine 1",
    ],
  );
  assert.equal(sup.logTail.at(-1), "goroutine 1");
});

Deno.test("ContainerdSupervisor.stop() ends containerd and removes its sockets", async (t) => {
  await t.step("SIGTERM is enough", async () => {
    await using h = await harness();
    const sup = h.supervisor();
    await sup.start();
    await Deno.writeTextFile(h.config.socketPath, "");
    await Deno.writeTextFile(`${h.config.socketPath}.ttrpc`, "");
    const p = h.spawner.current!;
    await sup.stop();
    await sup.stop();
    assert.deepEqual(p.signals, ["SIGTERM"]);
    assert.equal(sup.pid, undefined);
    assert.equal(await exists(h.config.socketPath), false);
    assert.equal(await exists(`${h.config.socketPath}.ttrpc`), false);
    assert.deepEqual(h.logger.messages("info").slice(-1), ["Shutting down containerd"]);
  });
  await t.step("SIGKILL after the grace period", async () => {
    await using h = await harness();
    const sup = h.supervisor({ stopGraceMs: 5_000 });
    await sup.start();
    const p = h.spawner.current!;
    p.ignoreTerm = true;
    let done = false;
    const stopped = sup.stop().then(() => done = true);
    await until(() => p.signals.length === 1);
    h.clock.advance(4_999);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(done, false);
    h.clock.advance(1);
    await stopped;
    assert.deepEqual(p.signals, ["SIGTERM", "SIGKILL"]);
    assert.deepEqual(h.logger.messages("warn"), ["containerd did not stop in time, killing it"]);
  });
  await t.step("no restart while waiting to restart", async () => {
    await using h = await harness();
    const sup = h.supervisor();
    await sup.start();
    h.spawner.current!.exit(1);
    await until(() => h.logger.messages("warn").length === 1);
    await sup.stop();
    h.clock.advance(60_000);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(h.spawner.spawned.length, 1);
  });
});

Deno.test("ContainerdSupervisor in external mode only waits for the endpoint", async () => {
  await using h = await harness();
  h.foreign = false;
  const sup = new ContainerdSupervisor(
    {
      mode: "external",
      endpoint: "unix:///run/containerd/containerd.sock",
      readyTimeoutMs: 10_000,
    },
    {
      logger: h.logger,
      clock: h.clock,
      spawner: h.spawner,
      dialer: (path) => {
        assert.equal(path, "/run/containerd/containerd.sock");
        h.dialTimes.push(h.clock.now());
        return Promise.resolve(h.foreign);
      },
    },
  );
  const started = sup.start();
  await until(() => h.dialTimes.length >= 3, h.clock, 50);
  h.foreign = true;
  await until(() => h.dialTimes.length >= 4, h.clock, 50);
  await started;
  assert.equal(sup.socketPath, "/run/containerd/containerd.sock");
  assert.equal(sup.mode, "external");
  await sup.stop();
  assert.equal(h.spawner.spawned.length, 0);
  assert.deepEqual(h.logger.messages("info"), ["Waiting for container runtime"]);
});

Deno.test("socketPathOfEndpoint() accepts unix sockets only", async (t) => {
  const ok = [
    ["unix:///run/containerd/containerd.sock", "/run/containerd/containerd.sock"],
    ["/run/k3s/containerd/containerd.sock", "/run/k3s/containerd/containerd.sock"],
  ];
  for (const [endpoint, path] of ok) {
    await t.step(endpoint!, () => assert.equal(socketPathOfEndpoint(endpoint!), path));
  }
  for (const endpoint of ["tcp://127.0.0.1:1234", "unix://relative.sock", "npipe:////./pipe/x"]) {
    await t.step(endpoint, () => {
      assert.throws(() => socketPathOfEndpoint(endpoint), {
        name: "TypeError",
        message:
          `Cannot use container runtime endpoint "${endpoint}": expected unix:// and an absolute socket path`,
      });
    });
  }
});
