import assert from "node:assert/strict";
import { RecordingLogger } from "../../control/util/logger.ts";
import type { LogStream } from "./cri_log_parser.ts";
import { logsSince, readContainerLogs, type ReadContainerLogsOptions } from "./log_reader.ts";

const dec = new TextDecoder();

class Sink {
  parts: { text: string; stream: LogStream }[] = [];
  write = (bytes: Uint8Array, stream: LogStream) => {
    this.parts.push({ text: dec.decode(bytes), stream });
  };
  text(): string {
    return this.parts.map((p) => p.text).join("");
  }
}

function criLine(sec: number, text: string, stream = "stdout", tag = "F"): string {
  return `2026-11-22T05:32:${String(sec).padStart(2, "0")}.5Z ${stream} ${tag} ${text}\n`;
}

async function withLog(
  text: string,
  fn: (path: string, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/0.log`, text);
    await fn(`${dir}/0.log`, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function read(path: string, options: Omit<ReadContainerLogsOptions, "write">) {
  const sink = new Sink();
  await readContainerLogs(path, { ...options, write: sink.write });
  return sink;
}

const FIVE = [0, 1, 2, 3, 4].map((i) => criLine(i, `line ${i}`)).join("");

Deno.test("readContainerLogs() applies tail, since, timestamps and limitBytes", async (t) => {
  await withLog(FIVE, async (path) => {
    const cases: [string, Omit<ReadContainerLogsOptions, "write">, string][] = [
      ["all", {}, "line 0\nline 1\nline 2\nline 3\nline 4\n"],
      ["tail 2", { tailLines: 2 }, "line 3\nline 4\n"],
      ["tail 0", { tailLines: 0 }, ""],
      ["tail more than lines", { tailLines: 10 }, "line 0\nline 1\nline 2\nline 3\nline 4\n"],
      ["since", { since: new Date("2026-11-22T05:32:02.6Z") }, "line 3\nline 4\n"],
      [
        "since exact time included",
        { since: new Date("2026-11-22T05:32:03.5Z") },
        "line 3\nline 4\n",
      ],
      [
        "timestamps",
        { tailLines: 1, timestamps: true },
        "2026-11-22T05:32:04.500000000Z line 4\n",
      ],
      ["limitBytes cuts a line", { limitBytes: 10 }, "line 0\nlin"],
      ["limitBytes with tail", { tailLines: 1, limitBytes: 100 }, "line 4\n"],
      [
        "tail then since",
        { tailLines: 3, since: new Date("2026-11-22T05:32:03Z") },
        "line 3\nline 4\n",
      ],
    ];
    for (const [name, options, want] of cases) {
      await t.step(name, async () => assert.equal((await read(path, options)).text(), want));
    }
  });
});

Deno.test("readContainerLogs() joins partial lines and separates streams", async () => {
  const text = criLine(0, "hel", "stdout", "P") + criLine(0, "oops", "stderr") +
    criLine(1, "lo", "stdout") + criLine(2, "bye");
  await withLog(text, async (path) => {
    const all = await read(path, {});
    assert.deepEqual(all.parts, [
      { text: "oops\n", stream: "stderr" },
      { text: "hello\n", stream: "stdout" },
      { text: "bye\n", stream: "stdout" },
    ]);
    assert.equal((await read(path, { stream: "stderr" })).text(), "oops\n");
  });
  const plain = criLine(0, "a") + criLine(1, "hel", "stdout", "P") + criLine(1, "lo") +
    criLine(2, "bye");
  await withLog(plain, async (path) => {
    assert.equal((await read(path, { tailLines: 2 })).text(), "hello\nbye\n");
    assert.equal((await read(path, { tailLines: 1 })).text(), "bye\n");
  });
});

Deno.test("readContainerLogs() skips malformed lines and logs them", async () => {
  await withLog(criLine(0, "a") + "garbage\n" + criLine(1, "b"), async (path) => {
    const logger = new RecordingLogger();
    assert.equal((await read(path, { logger })).text(), "a\nb\n");
    const rec = logger.records.find((r) => r.msg === "Failed when parsing line in log file");
    assert.equal(rec?.fields?.error, "timestamp is not found");
  });
});

Deno.test("readContainerLogs() writes an unterminated last line when not following", async () => {
  await withLog(criLine(0, "a") + "2026-11-22T05:32:01Z stdout F tail-end", async (path) => {
    assert.equal((await read(path, {})).text(), "a\ntail-end");
  });
});

Deno.test("readContainerLogs() reads a large file's tail without reading it whole", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/0.log`;
    using f = await Deno.open(path, { write: true, create: true });
    const block = new TextEncoder().encode(criLine(0, "x".repeat(1000)).repeat(1024));
    for (let i = 0; i < 100; i++) await f.write(block); // ~100 MB
    await f.write(new TextEncoder().encode(criLine(9, "last")));
    const started = performance.now();
    const sink = await read(path, { tailLines: 2 });
    assert.equal(sink.text(), `${"x".repeat(1000)}\nlast\n`);
    assert.ok(performance.now() - started < 2000, "tail of a 100 MB file took over 2 s");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readContainerLogs() reports a missing file with the kubelet's message", async () => {
  await assert.rejects(read("/nonexistent/skiff/0.log", {}), (err: Error) => {
    assert.match(
      err.message,
      /^failed to try resolving symlinks in path "\/nonexistent\/skiff\/0\.log": /,
    );
    return true;
  });
});

Deno.test("logsSince() takes the later of sinceSeconds and sinceTime", () => {
  const now = new Date("2026-11-22T06:00:00Z");
  assert.equal(logsSince({}, now), undefined);
  assert.deepEqual(logsSince({ sinceSeconds: 60 }, now), new Date("2026-11-22T05:59:00Z"));
  assert.deepEqual(
    logsSince({ sinceSeconds: 60, sinceTime: "2026-11-22T05:59:30Z" }, now),
    new Date("2026-11-22T05:59:30Z"),
  );
  assert.deepEqual(
    logsSince({ sinceSeconds: 10, sinceTime: "2026-11-22T05:00:00Z" }, now),
    new Date("2026-11-22T05:59:50Z"),
  );
});
