import assert from "node:assert/strict";
import type { LogStream } from "./cri_log_parser.ts";
import { readContainerLogs } from "./log_reader.ts";

const dec = new TextDecoder();

function criLine(sec: number, text: string, tag = "F"): string {
  return `2026-11-22T05:32:${String(sec).padStart(2, "0")}.5Z stdout ${tag} ${text}\n`;
}

/** Collects output and lets a test wait until some text has arrived. */
class Sink {
  #text = "";
  #waiters: { want: string; resolve: () => void }[] = [];
  write = (bytes: Uint8Array, _stream: LogStream) => {
    this.#text += dec.decode(bytes);
    this.#waiters = this.#waiters.filter((w) => {
      if (!this.#text.includes(w.want)) return true;
      w.resolve();
      return false;
    });
  };
  get text(): string {
    return this.#text;
  }
  async until(want: string): Promise<void> {
    if (this.#text.includes(want)) return;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.push({ want, resolve });
    const timer = setTimeout(() => resolve(), 5000);
    await promise;
    clearTimeout(timer);
    assert.ok(
      this.#text.includes(want),
      `timed out waiting for ${JSON.stringify(want)}: got ${JSON.stringify(this.#text)}`,
    );
  }
}

async function append(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text, { append: true });
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readContainerLogs() follows appends until the container exits", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/0.log`;
    await Deno.writeTextFile(path, criLine(0, "one") + criLine(1, "two"));
    const sink = new Sink();
    const exited = Promise.withResolvers<void>();
    const done = readContainerLogs(path, {
      write: sink.write,
      follow: true,
      tailLines: 1,
      exited: exited.promise,
    });
    await sink.until("two\n");
    await append(path, criLine(2, "thr"));
    await sink.until("thr\n");
    // A line written in two pieces is held until its newline.
    await append(path, criLine(3, "four").slice(0, 20));
    await append(path, criLine(3, "four").slice(20) + criLine(4, "fi", "P"));
    await sink.until("four\n");
    await append(path, criLine(4, "ve") + criLine(5, "last"));
    exited.resolve();
    await done;
    assert.equal(sink.text, "two\nthr\nfour\nfive\nlast\n");
  });
});

Deno.test("readContainerLogs() follows across a log rotation", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/0.log`;
    await Deno.writeTextFile(path, criLine(0, "before"));
    const sink = new Sink();
    const ac = new AbortController();
    const done = readContainerLogs(path, { write: sink.write, follow: true, signal: ac.signal });
    await sink.until("before\n");
    // Written just before the rename: still read from the old file.
    await append(path, criLine(1, "late-old"));
    await Deno.rename(path, `${path}.20261122-053202`);
    await Deno.writeTextFile(path, criLine(2, "new-1"));
    await sink.until("new-1\n");
    await append(path, criLine(3, "new-2"));
    await sink.until("new-2\n");
    ac.abort();
    await done;
    assert.equal(sink.text, "before\nlate-old\nnew-1\nnew-2\n");
  });
});

Deno.test("readContainerLogs() stops following when aborted", async (t) => {
  await withDir(async (dir) => {
    const path = `${dir}/0.log`;
    await Deno.writeTextFile(path, criLine(0, "a"));
    await t.step("while waiting", async () => {
      const sink = new Sink();
      const ac = new AbortController();
      const done = readContainerLogs(path, { write: sink.write, follow: true, signal: ac.signal });
      await sink.until("a\n");
      ac.abort();
      await done;
      await append(path, criLine(1, "ignored"));
      assert.equal(sink.text, "a\n");
    });
    await t.step("before it starts", async () => {
      const sink = new Sink();
      await readContainerLogs(path, {
        write: sink.write,
        follow: true,
        signal: AbortSignal.abort(),
      });
      assert.equal(sink.text, "");
    });
  });
});

Deno.test("readContainerLogs() returns at once for an already exited container", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/0.log`;
    await Deno.writeTextFile(path, criLine(0, "a") + criLine(1, "b"));
    const sink = new Sink();
    await readContainerLogs(path, {
      write: sink.write,
      follow: true,
      exited: Promise.resolve(),
    });
    assert.equal(sink.text, "a\nb\n");
  });
});

Deno.test("readContainerLogs() ends a follow at limitBytes", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/0.log`;
    await Deno.writeTextFile(path, criLine(0, "abc"));
    const sink = new Sink();
    const done = readContainerLogs(path, { write: sink.write, follow: true, limitBytes: 6 });
    await sink.until("abc\n");
    await append(path, criLine(1, "defgh"));
    await done;
    assert.equal(sink.text, "abc\nde");
  });
});

Deno.test("readContainerLogs() starts again when the file is truncated in place", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/0.log`;
    await Deno.writeTextFile(path, criLine(0, "old-old-old"));
    const sink = new Sink();
    const ac = new AbortController();
    const done = readContainerLogs(path, { write: sink.write, follow: true, signal: ac.signal });
    await sink.until("old-old-old\n");
    await Deno.truncate(path, 0);
    await append(path, criLine(1, "new"));
    await sink.until("new\n");
    ac.abort();
    await done;
    assert.equal(sink.text, "old-old-old\nnew\n");
  });
});
