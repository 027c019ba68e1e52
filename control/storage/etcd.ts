/**
 * The etcd v3 backend of {@linkcode Storage}, on `npm:etcd3`, with kube-apiserver's semantics:
 * a key's `modRevision` is its resourceVersion, writes are transactions guarded on `mod_revision`,
 * watches start at `fromRevision + 1` with previous values, and compaction is etcd's own.
 *
 * etcd3 types stay inside this file; callers see only the types of `./types.ts`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  CompareResult,
  CompareTarget,
  Etcd3,
  type ICompare,
  type IDeleteRangeResponse,
  type IKeyValue,
  type IOptions,
  type IRangeRequest,
  type IRangeResponse,
  isRecoverableError,
  type ITxnResponse,
  type IWatchResponse,
  Range,
  type Watcher,
} from "etcd3";
import { encodeContinue } from "./continue_token.ts";
import { parseListOptions } from "./_list_options.ts";
import {
  CompactedError,
  ConflictError,
  FutureRevisionError,
  InvalidInputError,
  KeyExistsError,
  KeyNotFoundError,
  StorageError,
  StorageUnavailableError,
} from "./errors.ts";
import {
  KEY_ROOT,
  prefixEnd,
  validateKey,
  validatePrefix,
  validateRevision,
  validateValue,
} from "./keys.ts";
import type {
  GetOptions,
  KeyValue,
  ListOptions,
  ListResult,
  Storage,
  WatchEvent,
} from "./types.ts";

/** Options of {@linkcode openEtcdStorage} and {@linkcode EtcdStorage}. */
export interface EtcdStorageOptions {
  /** Client URLs of the etcd members, `http://host:port` (or `https://`). */
  endpoints: string[];
  /**
   * Prepended to every key inside etcd, to share one etcd between several users (as
   * kube-apiserver's `--etcd-prefix`). A trailing `/` is dropped.
   * @default {""}
   */
  prefix?: string;
  /**
   * How long {@linkcode openEtcdStorage} waits for etcd to answer.
   * @default {10000}
   */
  dialTimeoutMs?: number;
}

const DEFAULT_DIAL_TIMEOUT_MS = 10_000;
/** Read attempts on a transient error (reads are idempotent; writes are never blindly retried). */
const READ_ATTEMPTS = 3;
/** The first watch reconnect waits this long, doubling up to {@linkcode WATCH_BACKOFF_MAX_MS}. */
const WATCH_BACKOFF_FIRST_MS = 50;
const WATCH_BACKOFF_MAX_MS = 2_000;
/** gRPC keepalive: a dead connection (with a call or a watch on it) is noticed within ~40 s. */
const KEEPALIVE_TIME_MS = 30_000;
const KEEPALIVE_TIMEOUT_MS = 10_000;

const COMPACTED_MESSAGE = "required revision has been compacted";
const FUTURE_MESSAGE = "required revision is a future revision";
/** grpc-js fails a call with this when it never reached a server: always safe to retry. */
const UNSENT_MESSAGE = "No connection established";

type FaultHandling = NonNullable<IOptions["faultHandling"]>;
type GlobalPolicy = NonNullable<FaultHandling["global"]>;
type WatchBackoffFactory = NonNullable<FaultHandling["watchBackoff"]>;

/** The transaction guard kube-apiserver uses: the key's mod_revision is `revision` (0: absent). */
function modRevisionIs(key: Buffer, revision: number): ICompare {
  return { key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: revision };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isCompactedError(err: unknown): boolean {
  return errorMessage(err).includes(COMPACTED_MESSAGE);
}

function isFutureError(err: unknown): boolean {
  return errorMessage(err).includes(FUTURE_MESSAGE);
}

/** A network or server error etcd3 counts as recoverable. */
function isTransientError(err: unknown): boolean {
  return err instanceof Error && isRecoverableError(err);
}

/**
 * etcd3's global policy, replacing its default of three blind retries (which can apply a
 * transaction twice, turning a lost response into a false `KeyExistsError`): a call is tried
 * again, on another random member, only when it provably never left the client.
 */
function unsentRetryPolicy(attempts: number): GlobalPolicy {
  const signal = new AbortController().signal;
  const policy = {
    async execute<T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> {
      for (let attempt = 1;; attempt++) {
        try {
          return await fn({ signal });
        } catch (err) {
          if (attempt >= attempts || !errorMessage(err).includes(UNSENT_MESSAGE)) throw err;
        }
      }
    },
  };
  return policy as unknown as GlobalPolicy;
}

/** Calls straight through: no circuit breaker keeps a restarted etcd shut out for seconds. */
function passThroughPolicy(): GlobalPolicy {
  const signal = new AbortController().signal;
  const policy = {
    execute<T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> {
      return Promise.resolve().then(() => fn({ signal }));
    },
  };
  return policy as unknown as GlobalPolicy;
}

/**
 * The watch reconnect backoff: etcd3 takes `next()` of the initial value as the first delay,
 * then `next()` of that after each failure, and starts over once a watch is created again.
 */
class WatchBackoff {
  readonly duration: number;
  constructor(duration: number) {
    this.duration = duration;
  }
  next(): WatchBackoff {
    return new WatchBackoff(
      this.duration === 0
        ? WATCH_BACKOFF_FIRST_MS
        : Math.min(this.duration * 2, WATCH_BACKOFF_MAX_MS),
    );
  }
}

function checkOptions(options: EtcdStorageOptions): void {
  const endpoints: unknown = options?.endpoints;
  if (!Array.isArray(endpoints) || endpoints.length === 0) {
    throw new InvalidInputError("Cannot open etcd storage: no endpoint given");
  }
  for (const endpoint of endpoints) {
    if (typeof endpoint !== "string" || !/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) {
      throw new InvalidInputError(
        `Cannot open etcd storage: endpoint ${JSON.stringify(endpoint)} is not http(s)://host:port`,
      );
    }
  }
  if (
    endpoints.some((e) => e.startsWith("https:")) && endpoints.some((e) => e.startsWith("http:"))
  ) {
    throw new InvalidInputError("Cannot open etcd storage: endpoints mix http and https");
  }
  const prefix: unknown = options.prefix ?? "";
  // deno-lint-ignore no-control-regex
  if (typeof prefix !== "string" || /[\u0000-\u001f\u007f]/.test(prefix)) {
    throw new InvalidInputError(
      `Cannot open etcd storage: prefix ${JSON.stringify(prefix)} is not a plain string`,
    );
  }
  const dialTimeoutMs: unknown = options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
  if (
    typeof dialTimeoutMs !== "number" || !Number.isSafeInteger(dialTimeoutMs) || dialTimeoutMs <= 0
  ) {
    throw new InvalidInputError(
      `Cannot open etcd storage: dial timeout ${String(dialTimeoutMs)} is not a positive integer`,
    );
  }
}

/** Translates keys between the storage boundary and etcd, and etcd's records into ours. */
class Codec {
  #prefix: string;
  #decoder = new TextDecoder();

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  key(key: string): Buffer {
    return Buffer.from(this.#prefix + key, "utf8");
  }

  decodeKey(raw: Buffer): string {
    return this.#decoder.decode(raw).slice(this.#prefix.length);
  }

  keyValue(kv: IKeyValue): KeyValue {
    return {
      key: this.decodeKey(kv.key),
      value: new Uint8Array(kv.value ?? []),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }
}

/**
 * One watch: an etcd3 watcher feeding an ordered queue. etcd3 resumes a broken watch from the
 * last response's header revision, which can skip events (the header of a created response, or
 * of a batch of an unsynced watch, is ahead of the events sent); this feed resets the resume
 * revision to the last revision it actually received before each reconnect, and drops replayed
 * events, so every event is delivered once, in order.
 */
class WatchFeed {
  #watcher: Watcher;
  #codec: Codec;
  #classifyCancel: (resumeRevision: number, cause: unknown) => Promise<Error>;
  #events: WatchEvent[] = [];
  #head = 0;
  #failure: Error | null = null;
  /** Set once the feed failed: resolves when {@linkcode WatchFeed.#failure} is known. */
  #failing: Promise<void> | null = null;
  /** Wakes the consumer waiting in {@linkcode WatchFeed.next}. */
  #waiter: (() => void) | null = null;
  /** The highest revision whose events (under the range) have all been received. */
  #received: number;
  /** etcd3 no longer tracks the watcher: the server canceled it. */
  #ended = false;
  #stopping: Promise<void> | null = null;

  constructor(
    client: Etcd3,
    range: { start: Buffer; end: Buffer; fromRevision: number; codec: Codec },
    classifyCancel: (resumeRevision: number, cause: unknown) => Promise<Error>,
  ) {
    this.#codec = range.codec;
    this.#classifyCancel = classifyCancel;
    this.#received = range.fromRevision;
    // watcher() attaches at once; listeners go on in the same tick, before any response.
    this.#watcher = client.watch()
      .inRange(new Range(range.start, range.end))
      .startRevision(String(range.fromRevision + 1))
      .withPreviousKV()
      .watcher();
    this.#watcher.on("data", (res) => this.#onData(res));
    this.#watcher.on("disconnected", () => this.#onDisconnected());
    this.#watcher.on("error", (err) => this.#onCanceled(err));
  }

  #onDisconnected(): void {
    // etcd3 re-attaches with `request.start_revision`, which it sets from response headers.
    this.#watcher.request.start_revision = String(this.#received + 1);
  }

  #onData(res: IWatchResponse): void {
    if (this.#stopping || this.#failing) return;
    try {
      if (res.events.length === 0) {
        // A progress notification: every event up to the header revision has been sent.
        this.#received = Math.max(this.#received, Number(res.header.revision));
        return;
      }
      const before = this.#received;
      for (const event of res.events) {
        const revision = Number(event.kv.mod_revision);
        if (revision <= before) continue; // replayed after a reconnect
        const kv = this.#codec.keyValue(event.kv);
        const prevKv = event.prev_kv ? this.#codec.keyValue(event.prev_kv) : undefined;
        if (event.type === "Put" && kv.createRevision === kv.modRevision) {
          this.#events.push({ type: "created", kv });
        } else if (!prevKv) {
          // etcd reads the previous value when it sends; it is gone once compacted.
          this.#fail(revision, new Error(`event at revision ${revision} lacks its previous value`));
          break;
        } else if (event.type === "Put") {
          this.#events.push({ type: "updated", kv, prevKv });
        } else {
          this.#events.push({
            type: "deleted",
            kv: { ...prevKv, value: prevKv.value.slice(), modRevision: revision },
            prevKv,
          });
        }
        this.#received = revision;
      }
    } catch (err) {
      this.#fail(this.#received + 1, err);
    }
    this.#wakeUp();
  }

  #onCanceled(err: unknown): void {
    this.#ended = true;
    this.#fail(this.#received + 1, err);
  }

  /** Stops taking events and cancels the watch; the error follows the events already queued. */
  #fail(resumeRevision: number, cause: unknown): void {
    if (this.#stopping || this.#failing) return;
    this.#failing = this.#classifyCancel(resumeRevision, cause).then((error) => {
      this.#failure = error;
      this.#wakeUp();
    });
    void this.stop();
  }

  /** The next event, `null` once `signal` aborts; throws after the queued events on failure. */
  async next(signal: AbortSignal): Promise<WatchEvent | null> {
    while (!signal.aborted) {
      if (this.#head < this.#events.length) {
        const event = this.#events[this.#head++]!;
        if (this.#head === this.#events.length) {
          this.#events = [];
          this.#head = 0;
        }
        return event;
      }
      if (this.#failure) throw this.#failure;
      await this.#wait(signal);
    }
    return null;
  }

  #wakeUp(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }

  /** Resolves at the next {@linkcode WatchFeed.#wakeUp} or when `signal` aborts. */
  #wait(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        if (this.#waiter === done) this.#waiter = null;
        resolve();
      };
      this.#waiter = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Cancels the etcd watcher (once); resolves when etcd3 has let go of it. */
  stop(): Promise<void> {
    if (!this.#stopping) {
      const cancel = this.#ended ? Promise.resolve() : this.#watcher.cancel().catch(() => {});
      this.#stopping = cancel.then(() => {
        this.#ended = true;
      });
      this.#wakeUp();
    }
    return this.#stopping;
  }

  /** Resolves when the watcher is let go of and a failure, if any, is classified. */
  async settled(): Promise<void> {
    await this.stop();
    await this.#failing;
  }
}

/**
 * Stores keys in etcd v3, as kube-apiserver does: `resourceVersion` is the key's `mod_revision`,
 * creates, updates and deletes are transactions on `mod_revision`, history is etcd's own (so
 * reads at a revision and watches replay it until etcd is compacted). Open it with
 * {@linkcode openEtcdStorage}.
 *
 * @example Store a key in etcd
 * ```ts ignore
 * import { openEtcdStorage } from "./etcd.ts";
 * await using storage = await openEtcdStorage({ endpoints: ["http://127.0.0.1:2379"] });
 * const kv = await storage.create("/registry/configmaps/default/a", new Uint8Array([1]));
 * await storage.update(kv.key, new Uint8Array([2]), kv.modRevision);
 * ```
 */
export class EtcdStorage implements Storage {
  #client: Etcd3;
  #codec: Codec;
  #endpoints: string[];
  #dialTimeoutMs: number;
  /** A key no storage key can equal (keys need a resource and a name): read for revisions. */
  #probeKey: Buffer;
  /** A lower bound of the compacted revision (as this interface means it), seen or made. */
  #compacted = 0;
  /** `currentRevision()` reads in flight: writes invoked after one wait for it (see there). */
  #revisionReads = new Set<Promise<unknown>>();
  #feeds = new Set<WatchFeed>();
  #closed = new AbortController();
  #closing: Promise<void> | null = null;

  /** Creates the client without connecting; {@linkcode openEtcdStorage} also checks etcd answers. */
  constructor(options: EtcdStorageOptions) {
    checkOptions(options);
    this.#endpoints = [...options.endpoints];
    this.#dialTimeoutMs = options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
    this.#codec = new Codec((options.prefix ?? "").replace(/\/+$/, ""));
    this.#probeKey = this.#codec.key(KEY_ROOT);
    this.#client = new Etcd3({
      hosts: this.#endpoints,
      grpcOptions: {
        "grpc.max_receive_message_length": -1,
        "grpc.keepalive_time_ms": KEEPALIVE_TIME_MS,
        "grpc.keepalive_timeout_ms": KEEPALIVE_TIMEOUT_MS,
      },
      faultHandling: {
        host: () => passThroughPolicy(),
        global: unsentRetryPolicy(this.#endpoints.length * 2),
        watchBackoff: new WatchBackoff(0) as unknown as WatchBackoffFactory,
      },
    });
  }

  #checkOpen(): void {
    if (this.#closed.signal.aborted) {
      throw new StorageUnavailableError("Cannot use storage: it is closed");
    }
  }

  #unavailable(what: string, err: unknown): StorageError {
    if (err instanceof StorageError) return err;
    return new StorageUnavailableError(
      `${what}: etcd at ${this.#endpoints.join(", ")} failed: ${errorMessage(err)}`,
      { cause: err },
    );
  }

  /** A range read, tried again on a transient error; errors come out as etcd3 throws them. */
  async #rawRange(request: IRangeRequest): Promise<IRangeResponse> {
    for (let attempt = 1;; attempt++) {
      try {
        return await this.#client.kv.range(request);
      } catch (err) {
        if (!isTransientError(err) || attempt >= READ_ATTEMPTS) throw err;
      }
    }
  }

  /** A range read with etcd's revision errors typed. */
  async #range(what: string, request: IRangeRequest): Promise<IRangeResponse> {
    const revision = Number(request.revision ?? 0);
    for (let attempt = 1;; attempt++) {
      try {
        return await this.#rawRange(request);
      } catch (err) {
        if (revision > 0 && isFutureError(err)) {
          const current = await this.#currentRevision(what);
          // The revision may have been written since: read it then.
          if (current < revision || attempt >= READ_ATTEMPTS) {
            throw new FutureRevisionError(revision, current);
          }
        } else if (revision > 0 && isCompactedError(err)) {
          const compacted = await this.#compactedRevision(what).catch(() => revision + 1);
          throw new CompactedError(revision, Math.max(compacted, revision + 1));
        } else {
          throw this.#unavailable(what, err);
        }
      }
    }
  }

  /**
   * A range read at a past revision. `compact(n)` compacts etcd to `n - 1` (see
   * {@linkcode EtcdStorage.compact}), so etcd still answers at `n - 1`: a read there is refused
   * here, found by a read at the revision below it failing.
   */
  async #rangeAt(what: string, request: IRangeRequest, revision: number): Promise<IRangeResponse> {
    const [read, below] = await Promise.allSettled([
      this.#range(what, { ...request, revision }),
      revision >= 2 ? this.#etcdCompactedAt(what, revision - 1) : Promise.resolve(false),
    ]);
    if (read.status === "rejected") throw read.reason;
    if (below.status === "rejected") throw below.reason;
    if (below.value) throw new CompactedError(revision, this.#remember(revision + 1));
    return read.value;
  }

  async #txn(what: string, request: Parameters<Etcd3["kv"]["txn"]>[0]): Promise<ITxnResponse> {
    try {
      await this.#afterRevisionReads();
      return await this.#client.kv.txn(request);
    } catch (err) {
      throw this.#unavailable(what, err);
    }
  }

  async #currentRevision(what: string): Promise<number> {
    const res = await this.#range(what, { key: this.#probeKey, keys_only: true, limit: 1 });
    return Number(res.header.revision);
  }

  /** Waits for the `currentRevision()` calls made so far (only those) to be answered. */
  async #afterRevisionReads(): Promise<void> {
    if (this.#revisionReads.size > 0) await Promise.allSettled([...this.#revisionReads]);
  }

  /** Whether etcd has compacted `revision` away; a future revision is not compacted. */
  async #etcdCompactedAt(what: string, revision: number): Promise<boolean> {
    try {
      await this.#rawRange({ key: this.#probeKey, revision, keys_only: true, limit: 1 });
      return false;
    } catch (err) {
      if (isCompactedError(err)) return true;
      if (isFutureError(err)) return false;
      throw this.#unavailable(what, err);
    }
  }

  /**
   * etcd's own compacted revision (0 when never). No RPC of etcd 3.4 reports it, so it is found
   * by bisecting for the oldest revision a read still accepts, from the compaction this instance
   * knows of: when nothing new was compacted, that costs two reads.
   */
  async #probeEtcdCompacted(what: string): Promise<number> {
    const current = await this.#currentRevision(what);
    // etcd is compacted to at least `low`; reads at `high` always work.
    let low = Math.min(Math.max(this.#compacted - 1, 1), current);
    let high = current;
    if (!await this.#etcdCompactedAt(what, low)) return low === 1 ? 0 : low;
    while (high - low > 1) {
      const mid = low + Math.floor((high - low) / 2);
      if (await this.#etcdCompactedAt(what, mid)) low = mid;
      else high = mid;
    }
    return high;
  }

  /** The revision history is compacted to, as this interface means it (etcd's plus one). */
  async #compactedRevision(what: string): Promise<number> {
    const etcdCompacted = await this.#probeEtcdCompacted(what);
    return this.#remember(etcdCompacted >= 2 ? etcdCompacted + 1 : 0);
  }

  #remember(compacted: number): number {
    if (compacted > this.#compacted) this.#compacted = compacted;
    return this.#compacted;
  }

  /** Checks that etcd answers within the dial timeout; throws `StorageUnavailableError`. */
  async ping(): Promise<void> {
    this.#checkOpen();
    try {
      await this.#client.kv.range(
        { key: this.#probeKey, keys_only: true, limit: 1 },
        { deadline: Date.now() + this.#dialTimeoutMs },
      );
    } catch (err) {
      throw new StorageUnavailableError(
        `Cannot connect to etcd at ${this.#endpoints.join(", ")}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<KeyValue | null> {
    this.#checkOpen();
    validateKey(key);
    const revision = options.revision ?? 0;
    validateRevision("revision", revision);
    const what = `Cannot read key "${key}"`;
    const request: IRangeRequest = { key: this.#codec.key(key) };
    const res = revision > 0
      ? await this.#rangeAt(what, request, revision)
      : await this.#range(what, request);
    const kv = res.kvs[0];
    return kv ? this.#codec.keyValue(kv) : null;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.#checkOpen();
    const { limit, revision, startKey } = parseListOptions(prefix, options);
    const request: IRangeRequest = {
      key: this.#codec.key(startKey),
      "range_end": this.#codec.key(prefixEnd(prefix)),
    };
    // `more` says whether keys remain, without fetching one more value of up to 1.5 MiB.
    if (limit > 0) request.limit = limit;
    const what = `Cannot list prefix "${prefix}"`;
    const res = revision > 0
      ? await this.#rangeAt(what, request, revision)
      : await this.#range(what, request);
    const listRevision = revision > 0 ? revision : Number(res.header.revision);
    const items = res.kvs.map((kv) => this.#codec.keyValue(kv));
    const last = items[items.length - 1];
    if (limit > 0 && res.more && last) {
      return { items, revision: listRevision, continue: encodeContinue(listRevision, last.key) };
    }
    return { items, revision: listRevision };
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    this.#checkOpen();
    validateKey(key);
    validateValue(key, value);
    const etcdKey = this.#codec.key(key);
    const res = await this.#txn(`Cannot create key "${key}"`, {
      compare: [modRevisionIs(etcdKey, 0)],
      success: [{ request_put: { key: etcdKey, value: Buffer.from(value) } }],
      failure: [],
    });
    if (!res.succeeded) throw new KeyExistsError(key);
    const revision = Number(res.header.revision);
    return { key, value: value.slice(), createRevision: revision, modRevision: revision };
  }

  /** Throws the error a write guarded on `expectedRevision` failed with: not found or conflict. */
  #guardError(key: string, expectedRevision: number, current: IKeyValue | undefined): StorageError {
    if (!current) return new KeyNotFoundError(key);
    return new ConflictError(key, expectedRevision, Number(current.mod_revision));
  }

  async update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue> {
    this.#checkOpen();
    validateKey(key);
    validateValue(key, value);
    validateRevision("expected revision", expectedRevision);
    const what = `Cannot write key "${key}"`;
    const etcdKey = this.#codec.key(key);
    if (expectedRevision === 0) {
      // `mod_revision == 0` holds for an absent key: a transaction would create it.
      const res = await this.#range(what, { key: etcdKey, keys_only: true });
      throw this.#guardError(key, expectedRevision, res.kvs[0]);
    }
    const readBack = { "request_range": { key: etcdKey, keys_only: true } };
    const res = await this.#txn(what, {
      compare: [modRevisionIs(etcdKey, expectedRevision)],
      success: [{ request_put: { key: etcdKey, value: Buffer.from(value) } }, readBack],
      failure: [readBack],
    });
    if (!res.succeeded) {
      throw this.#guardError(key, expectedRevision, res.responses[0]?.response_range?.kvs[0]);
    }
    const written = res.responses[1]?.response_range?.kvs[0];
    const revision = Number(res.header.revision);
    return {
      key,
      value: value.slice(),
      createRevision: written ? Number(written.create_revision) : revision,
      modRevision: revision,
    };
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.#checkOpen();
    validateKey(key);
    if (expectedRevision !== undefined) validateRevision("expected revision", expectedRevision);
    const what = `Cannot delete key "${key}"`;
    const etcdKey = this.#codec.key(key);
    let deleted: IDeleteRangeResponse | undefined;
    let revision: number;
    if (expectedRevision === undefined) {
      try {
        await this.#afterRevisionReads();
        deleted = await this.#client.kv.deleteRange({ key: etcdKey, prev_kv: true });
      } catch (err) {
        throw this.#unavailable(what, err);
      }
      revision = Number(deleted.header.revision);
    } else if (expectedRevision === 0) {
      const res = await this.#range(what, { key: etcdKey, keys_only: true });
      throw this.#guardError(key, expectedRevision, res.kvs[0]);
    } else {
      const res = await this.#txn(what, {
        compare: [modRevisionIs(etcdKey, expectedRevision)],
        success: [{ request_delete_range: { key: etcdKey, prev_kv: true } }],
        failure: [{ request_range: { key: etcdKey, keys_only: true } }],
      });
      if (!res.succeeded) {
        throw this.#guardError(key, expectedRevision, res.responses[0]?.response_range?.kvs[0]);
      }
      deleted = res.responses[0]?.response_delete_range;
      revision = Number(res.header.revision);
    }
    const prev = deleted?.prev_kvs[0];
    if (!prev) throw new KeyNotFoundError(key);
    return { ...this.#codec.keyValue(prev), modRevision: revision };
  }

  async *watch(
    prefix: string,
    fromRevision: number,
    signal: AbortSignal,
  ): AsyncIterable<WatchEvent> {
    this.#checkOpen();
    validatePrefix(prefix);
    validateRevision("revision", fromRevision);
    const stop = AbortSignal.any([signal, this.#closed.signal]);
    if (stop.aborted) return;
    const what = `Cannot watch prefix "${prefix}"`;
    // etcd itself refuses a start below its compacted revision, but not one at it (see compact()).
    let compacted: boolean;
    try {
      compacted = fromRevision >= 1 && await this.#etcdCompactedAt(what, fromRevision);
    } catch (err) {
      if (stop.aborted) return; // closed meanwhile: end as a closed watch does
      throw err;
    }
    if (stop.aborted) return;
    if (compacted) throw new CompactedError(fromRevision + 1, await this.#compactedRevision(what));
    const feed = new WatchFeed(
      this.#client,
      {
        start: this.#codec.key(prefix),
        end: this.#codec.key(prefixEnd(prefix)),
        fromRevision,
        codec: this.#codec,
      },
      (resume, cause) => this.#classifyCancel(what, resume, cause),
    );
    this.#feeds.add(feed);
    const onAbort = () => void feed.stop();
    stop.addEventListener("abort", onAbort, { once: true });
    try {
      while (true) {
        const event = await feed.next(stop);
        if (event === null) return;
        yield event;
        if (stop.aborted) return;
      }
    } finally {
      stop.removeEventListener("abort", onAbort);
      await feed.stop();
      this.#feeds.delete(feed);
    }
  }

  /** Why etcd canceled a watch that would resume at `resumeRevision`: compaction, or not. */
  async #classifyCancel(what: string, resumeRevision: number, cause: unknown): Promise<Error> {
    try {
      const compacted = await this.#compactedRevision(what);
      if (resumeRevision < compacted) return new CompactedError(resumeRevision, compacted);
    } catch (err) {
      return this.#unavailable(what, err);
    }
    return this.#unavailable(what, cause);
  }

  /**
   * The revision of the latest write. A write invoked after this call is sent only once etcd
   * has answered it, so the answer never includes a write made after the call (as with the
   * synchronous memory store); otherwise etcd may apply the write before serving the read.
   */
  currentRevision(): Promise<number> {
    this.#checkOpen();
    const read = this.#currentRevision("Cannot read the current revision");
    const tracked = read.finally(() => this.#revisionReads.delete(tracked)).catch(() => {});
    this.#revisionReads.add(tracked);
    return read;
  }

  /**
   * Compacts etcd to `revision - 1`, not `revision`: a watch from `revision - 1` must still get
   * the event at `revision` with its previous value, which etcd reads from its history when it
   * sends the event. Reads at `revision - 1` are refused here instead (as if compacted).
   */
  async compact(revision: number): Promise<void> {
    this.#checkOpen();
    validateRevision("revision", revision);
    if (revision <= this.#compacted) return;
    const what = `Cannot compact to revision ${revision}`;
    const current = await this.#currentRevision(what);
    if (revision > current) throw new FutureRevisionError(revision, current);
    // etcd starts at revision 1 with nothing stored: below 3 there is nothing to discard.
    if (revision >= 3) {
      try {
        await this.#client.kv.compact({ revision: revision - 1, physical: true });
      } catch (err) {
        // Compacted to this revision or beyond already: nothing to do.
        if (!isCompactedError(err)) throw this.#unavailable(what, err);
      }
    }
    this.#remember(revision);
  }

  compactedRevision(): Promise<number> {
    this.#checkOpen();
    return this.#compactedRevision("Cannot read the compacted revision");
  }

  close(): Promise<void> {
    if (!this.#closing) {
      this.#closed.abort();
      this.#closing = (async () => {
        // Watchers must be let go of first: etcd3 reconnects a stream while it has any.
        await Promise.all([...this.#feeds].map((feed) => feed.settled()));
        this.#client.close();
      })();
    }
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Connects to etcd and checks that it answers within `dialTimeoutMs`; throws
 * `StorageUnavailableError` naming the endpoints when it does not.
 *
 * @example Open an etcd store with its keys under a prefix
 * ```ts ignore
 * import { openEtcdStorage } from "./etcd.ts";
 * await using storage = await openEtcdStorage({
 *   endpoints: ["http://127.0.0.1:2379"],
 *   prefix: "/skiff",
 * });
 * const { items } = await storage.list("/registry/pods/");
 * ```
 */
export async function openEtcdStorage(options: EtcdStorageOptions): Promise<EtcdStorage> {
  const storage = new EtcdStorage(options);
  try {
    await storage.ping();
  } catch (err) {
    await storage.close();
    throw err;
  }
  return storage;
}
