import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Etcd3 } from "etcd3";
import { startEtcd } from "../../tests/_support/etcd_process.ts";
import { runStorageConformance } from "./_conformance.ts";
import { EtcdStorage, openEtcdStorage } from "./etcd.ts";
import {
  CompactedError,
  InvalidInputError,
  KeyNotFoundError,
  StorageUnavailableError,
} from "./errors.ts";
import type { Storage, WatchEvent } from "./types.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

let prefixes = 0;
function uniquePrefix(): string {
  return `/skiff-test-${Deno.pid}-${++prefixes}`;
}

runStorageConformance("EtcdStorage", async () => {
  const etcd = await startEtcd();
  return {
    open: () => openEtcdStorage({ endpoints: [etcd.endpoint], prefix: uniquePrefix() }),
    teardown: () => etcd.stop(),
  };
});

/** Resolves when `check` holds, polling; fails after `timeoutMs`. */
async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Runs a watch in the background, recording its events and how it ended. */
function record(storage: Storage, prefix: string, fromRevision: number) {
  const ac = new AbortController();
  const events: WatchEvent[] = [];
  const state: { error: unknown; done: boolean } = { error: undefined, done: false };
  const finished = (async () => {
    try {
      for await (const event of storage.watch(prefix, fromRevision, ac.signal)) events.push(event);
    } catch (err) {
      state.error = err;
    } finally {
      state.done = true;
    }
  })();
  return {
    events,
    state,
    async stop(): Promise<void> {
      ac.abort();
      await finished;
    },
  };
}

/**
 * A TCP proxy in front of etcd that can cut every connection, and refuse new ones while
 * paused: a network failure between skiff and etcd, without touching etcd.
 */
class TcpProxy {
  readonly endpoint: string;
  #listener: Deno.TcpListener;
  #targetPort: number;
  #conns = new Set<Deno.Conn>();
  #tasks = new Set<Promise<void>>();
  #paused = false;
  #accepting: Promise<void>;

  constructor(targetPort: number) {
    this.#targetPort = targetPort;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.endpoint = `http://127.0.0.1:${this.#listener.addr.port}`;
    this.#accepting = this.#accept();
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        if (this.#paused) {
          conn.close();
          continue;
        }
        this.#track(this.#connect(conn));
      }
    } catch {
      // The listener closed.
    }
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  async #connect(client: Deno.Conn): Promise<void> {
    this.#conns.add(client);
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: this.#targetPort });
    } catch {
      this.#close(client);
      return;
    }
    this.#conns.add(upstream);
    await Promise.all([this.#pump(client, upstream), this.#pump(upstream, client)]);
  }

  async #pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await from.read(buf);
        if (n === null) break;
        for (let off = 0; off < n;) off += await to.write(buf.subarray(off, n));
      }
    } catch {
      // A side was cut.
    } finally {
      this.#close(from);
      this.#close(to);
    }
  }

  #close(conn: Deno.Conn): void {
    if (!this.#conns.delete(conn)) return;
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }

  /** Closes every open connection. */
  cut(): void {
    for (const conn of [...this.#conns]) this.#close(conn);
  }

  /** Cuts every connection and refuses new ones until {@linkcode TcpProxy.resume}. */
  pause(): void {
    this.#paused = true;
    this.cut();
  }

  resume(): void {
    this.#paused = false;
  }

  async close(): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    this.cut();
    await Promise.all([...this.#tasks]);
  }
}

Deno.test("openEtcdStorage() fails fast with StorageUnavailableError on a closed port", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const endpoint = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const err = await openEtcdStorage({ endpoints: [endpoint] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof StorageUnavailableError, String(err));
  assert.match(err.message, new RegExp(`Cannot connect to etcd at ${endpoint}`));
  assert.ok(performance.now() - started < 3_000, `took ${performance.now() - started} ms`);
});

Deno.test("EtcdStorage refuses malformed options with InvalidInputError", () => {
  const bad = [
    { endpoints: [] },
    { endpoints: ["127.0.0.1:2379"] },
    { endpoints: ["http://127.0.0.1:2379/path"] },
    { endpoints: ["http://a:1", "https://b:2"] },
    { endpoints: ["http://a:1"], prefix: "/x\n" },
    { endpoints: ["http://a:1"], dialTimeoutMs: 0 },
  ];
  for (const options of bad) {
    assert.throws(() => new EtcdStorage(options), InvalidInputError, JSON.stringify(options));
  }
});

Deno.test("EtcdStorage against a real etcd", async (t) => {
  await using etcd = await startEtcd();
  const open = (prefix = uniquePrefix(), endpoint = etcd.endpoint) =>
    openEtcdStorage({ endpoints: [endpoint], prefix });

  await t.step("keys are stored under the prefix, invisible to other prefixes", async () => {
    const prefix = uniquePrefix();
    await using storage = await open(prefix);
    await using other = await open();
    await using unprefixed = await openEtcdStorage({ endpoints: [etcd.endpoint] });
    const kv = await storage.create("/registry/configmaps/default/a", enc.encode("one"));
    const raw = new Etcd3({ hosts: [etcd.endpoint] });
    try {
      const res = await raw.kv.range({
        key: Buffer.from(`${prefix}/registry/configmaps/default/a`),
      });
      assert.equal(res.kvs.length, 1);
      assert.equal(dec.decode(res.kvs[0]!.value), "one");
      assert.equal(Number(res.kvs[0]!.mod_revision), kv.modRevision);
    } finally {
      raw.close();
    }
    assert.equal(await other.get("/registry/configmaps/default/a"), null);
    assert.deepEqual((await other.list("/registry/")).items, []);
    assert.deepEqual((await unprefixed.list("/registry/")).items, []);
    assert.deepEqual((await storage.list("/registry/")).items.map((i) => i.key), [kv.key]);
  });

  await t.step("update() and delete() at revision 0 never create or remove a key", async () => {
    await using storage = await open();
    const key = "/registry/configmaps/default/zero";
    await assert.rejects(storage.update(key, enc.encode("x"), 0), KeyNotFoundError);
    await assert.rejects(storage.delete(key, 0), KeyNotFoundError);
    assert.equal(await storage.get(key), null);
  });

  await t.step("compactedRevision() survives reopening", async () => {
    const prefix = uniquePrefix();
    let compacted: number;
    {
      await using storage = await open(prefix);
      const kv = await storage.create("/registry/configmaps/default/c", enc.encode("1"));
      const kv2 = await storage.update(kv.key, enc.encode("2"), kv.modRevision);
      await storage.compact(kv2.modRevision);
      compacted = kv2.modRevision;
      assert.equal(await storage.compactedRevision(), compacted);
    }
    await using reopened = await open(prefix);
    assert.equal(await reopened.compactedRevision(), compacted);
    await assert.rejects(
      reopened.get("/registry/configmaps/default/c", { revision: compacted - 1 }),
      (err: unknown) => err instanceof CompactedError && err.compactedRevision === compacted,
    );
  });

  await t.step("close() ends in-flight watches cleanly", async () => {
    const storage = await open();
    const watch = record(storage, "/registry/pods/", await storage.currentRevision());
    await storage.create("/registry/pods/default/a", enc.encode("a"));
    await until("the event", () => watch.events.length === 1);
    await storage.close();
    await until("the watch to end", () => watch.state.done);
    assert.equal(watch.state.error, undefined);
    await watch.stop();
    await assert.rejects(storage.get("/registry/pods/default/a"), StorageUnavailableError);
  });

  await t.step("a watch ends with CompactedError when compaction overtakes it", async () => {
    const prefix = uniquePrefix();
    const proxy = new TcpProxy(Number(new URL(etcd.endpoint).port));
    try {
      await using direct = await open(prefix);
      await using viaProxy = await open(prefix, proxy.endpoint);
      const key = "/registry/configmaps/default/w";
      const watch = record(viaProxy, "/registry/configmaps/", await direct.currentRevision());
      const v1 = await direct.create(key, enc.encode("1"));
      await until("the first event", () => watch.events.length === 1);
      proxy.pause();
      const v2 = await direct.update(key, enc.encode("2"), v1.modRevision);
      const v3 = await direct.update(key, enc.encode("3"), v2.modRevision);
      await direct.compact(v3.modRevision);
      proxy.resume();
      await until("the watch to end", () => watch.state.done);
      await watch.stop();
      assert.ok(watch.state.error instanceof CompactedError, String(watch.state.error));
      assert.equal(watch.state.error.revision, v1.modRevision + 1);
      assert.equal(watch.state.error.compactedRevision, v3.modRevision);
      assert.deepEqual(watch.events.map((e) => e.kv.modRevision), [v1.modRevision]);
    } finally {
      await proxy.close();
    }
  });

  await t.step(
    "a watch delivers every event once, in order, while its connection keeps dropping",
    async () => {
      const prefix = uniquePrefix();
      const proxy = new TcpProxy(Number(new URL(etcd.endpoint).port));
      try {
        await using direct = await open(prefix);
        await using viaProxy = await open(prefix, proxy.endpoint);
        const start = await direct.currentRevision();
        // History first: a watch replaying it is unsynced in etcd, whose batches of events
        // carry a header revision ahead of the events sent so far.
        const acknowledged: number[] = [];
        const writeMany = async (writers: number, perWriter: number, tag: string) => {
          await Promise.all(Array.from({ length: writers }, async (_, w) => {
            const key = `/registry/leases/ns/${tag}-${w}`;
            let kv = await direct.create(key, enc.encode("0"));
            acknowledged.push(kv.modRevision);
            for (let i = 1; i < perWriter; i++) {
              kv = await direct.update(key, enc.encode(String(i)), kv.modRevision);
              acknowledged.push(kv.modRevision);
            }
          }));
        };
        await writeMany(8, 200, "history");
        const watch = record(viaProxy, "/registry/leases/", start);
        let cuts = 0;
        let chaos = true;
        // A cut lands only after the watch made progress since the last one: etcd sends an
        // unsynced (replaying) watch its events on a 100 ms sync loop and etcd3 backs off on each
        // drop, so blind cuts every few tens of ms can starve the watch on an unlucky run.
        const chaosDone = (async () => {
          let seen = 0;
          while (chaos) {
            await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
            if (watch.events.length === seen) continue;
            seen = watch.events.length;
            proxy.cut();
            cuts++;
          }
        })();
        // Live writes go on until the connection has dropped under the watch several times.
        for (let round = 0; round < 3 || (cuts < 8 && round < 100); round++) {
          await writeMany(8, 20, `live-${round}`);
        }
        await until("every event", () => watch.events.length >= acknowledged.length, 60_000);
        chaos = false;
        await chaosDone;
        // Anything extra (a duplicate) would show up by now.
        await new Promise((resolve) => setTimeout(resolve, 200));
        await watch.stop();
        assert.equal(watch.state.error, undefined);
        assert.ok(cuts >= 8, `only ${cuts} cuts`);
        const revisions = watch.events.map((e) => e.kv.modRevision);
        assert.deepEqual(revisions, acknowledged.toSorted((a, b) => a - b));
      } finally {
        await proxy.close();
      }
    },
  );
});

Deno.test("EtcdStorage carries on when etcd is killed and restarted", async () => {
  await using etcd = await startEtcd();
  await using storage = await openEtcdStorage({ endpoints: [etcd.endpoint], prefix: "/skiff" });
  const watch = record(storage, "/registry/configmaps/", await storage.currentRevision());
  const a = await storage.create("/registry/configmaps/default/a", enc.encode("before"));
  await until("the first event", () => watch.events.length === 1);
  await etcd.kill9();
  await assert.rejects(storage.get(a.key), StorageUnavailableError);
  await etcd.restart();
  let b: Awaited<ReturnType<Storage["update"]>> | undefined;
  // The first calls after a restart may still find the old connection broken.
  for (let attempt = 0; !b; attempt++) {
    try {
      b = await storage.update(a.key, enc.encode("after"), a.modRevision);
    } catch (err) {
      if (!(err instanceof StorageUnavailableError) || attempt > 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  assert.equal(dec.decode((await storage.get(a.key))!.value), "after");
  await until("the event after the restart", () => watch.events.length === 2);
  await watch.stop();
  assert.deepEqual(watch.events.map((e) => [e.type, e.kv.modRevision]), [
    ["created", a.modRevision],
    ["updated", b.modRevision],
  ]);
});
