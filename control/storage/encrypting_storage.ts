/**
 * Encryption at rest, as kube-apiserver's `EncryptionConfiguration` applies it: a
 * {@linkcode Storage} wrapper that encrypts the values under some key prefixes (Secrets by
 * default) with AES-GCM before they reach the backend, and decrypts them on every read, list,
 * delete and watch event. Everything else passes through untouched.
 *
 * Each prefix has an ordered list of providers, as upstream's: the first one writes (an
 * `aesgcm` key, or `identity` for plaintext), every one reads. A stored value names the key that
 * encrypted it (`k8s:enc:aesgcm:v1:<name>:`), so values encrypted under an older key stay readable
 * while that key is in the list; a value without the prefix is plaintext and is read only when
 * `identity` is a provider. A value naming a key the config lacks fails with a
 * {@linkcode DecryptionError} naming that key, never as ciphertext. The storage key is the
 * additional authenticated data: a value copied to another key, or altered, does not decrypt.
 *
 * Revisions are the backend's: guarded updates and watches keep their semantics.
 *
 * @module
 */
import {
  AESGCM,
  type AesGcmKey,
  importAesGcmKey,
  isEncrypted,
  NONCE_BYTES,
  openValue,
  parseEnvelopeHeader,
  sealValue,
  TAG_BYTES,
} from "./_aes_gcm.ts";
import { InvalidInputError, StorageError } from "./errors.ts";
import { MAX_VALUE_BYTES, validateKey, validatePrefix, validateValue } from "./keys.ts";
import type {
  CreateOptions,
  GetOptions,
  KeyValue,
  ListOptions,
  ListResult,
  Storage,
  WatchEvent,
} from "./types.ts";

/** One key of an `aesgcm` provider. */
export interface EncryptionKey {
  /** The name stored in every value it encrypts; no `:`. */
  readonly name: string;
  /** The AES key: 32 bytes (AES-256; 16 and 24 are accepted, as upstream). */
  readonly secret: Uint8Array;
}

/** A provider of upstream's `EncryptionConfiguration` that skiff implements. */
export type EncryptionProvider =
  | { readonly type: "aesgcm"; readonly keys: readonly EncryptionKey[] }
  | { readonly type: "identity" };

/** The providers of the values under one prefix; the first provider writes. */
export interface EncryptedPrefix {
  /** A storage prefix ending in `/`, such as `/registry/secrets/`. */
  readonly prefix: string;
  readonly providers: readonly EncryptionProvider[];
}

/** Options of {@linkcode openEncryptingStorage} and {@linkcode EncryptingStorage.setConfig}. */
export interface EncryptingStorageOptions {
  /** The prefixes to encrypt; they may not nest. @default {[]} */
  readonly prefixes: readonly EncryptedPrefix[];
}

/** What a stored value's encryption prefix names; see {@linkcode storedEncryption}. */
export interface StoredEncryption {
  readonly provider: string;
  readonly keyName: string;
}

/** The prefix {@linkcode EncryptingStorage} encrypts unless told otherwise. */
export const SECRETS_PREFIX = "/registry/secrets/";

/** Options of {@linkcode DecryptionError}. */
export interface DecryptionErrorOptions extends ErrorOptions {
  /** The storage key whose value failed. */
  readonly key: string;
  /** The encryption key the value names, when it names one. */
  readonly keyName?: string | undefined;
  /** The revision of the value that failed (a watch event's revision for a watch). */
  readonly revision?: number | undefined;
}

/**
 * A stored value cannot be decrypted: it names an encryption key or provider the config lacks,
 * it does not authenticate (tampered, or copied from another storage key), or it is plaintext
 * where the config has no `identity` provider. The message names the storage key and the
 * encryption key, never a value.
 */
export class DecryptionError extends StorageError {
  /** The storage key whose value failed. */
  readonly key: string;
  /** The encryption key the value names, when it names one. */
  readonly keyName: string | undefined;
  /**
   * The revision of the value that failed: its `modRevision`, or the revision of the watch
   * event carrying it. A watcher resumes after it to go on without that value.
   */
  readonly revision: number | undefined;
  constructor(message: string, options: DecryptionErrorOptions) {
    super(message, options);
    this.name = "DecryptionError";
    this.key = options.key;
    this.keyName = options.keyName;
    this.revision = options.revision;
  }
}

/** Storage keys an {@linkcode UndecryptableListError} message names. */
const NAMED_KEYS = 5;

/**
 * A list under an encrypted prefix found values that cannot be decrypted. The list fails, as
 * kube-apiserver's does, with the first failure's message (and the keys of the others); for a
 * caller that can go on without those objects (the server's own views), the error carries the
 * page without them.
 */
export class UndecryptableListError extends DecryptionError {
  /** The list without the values that cannot be decrypted. */
  readonly page: ListResult;
  /** One error per value that cannot be decrypted, in key order. */
  readonly failures: readonly DecryptionError[];
  constructor(prefix: string, result: { page: ListResult; failures: DecryptionError[] }) {
    const [first, ...more] = result.failures as [DecryptionError, ...DecryptionError[]];
    const named = more.slice(0, NAMED_KEYS).map((f) => `"${f.key}"`).join(", ") +
      (more.length > NAMED_KEYS ? ", …" : "");
    const others = `${more.length} more ${more.length === 1 ? "value" : "values"}`;
    super(
      more.length === 0
        ? first.message
        : `${first.message}; ${others} under "${prefix}" cannot be decrypted (${named})`,
      { key: first.key, keyName: first.keyName, revision: first.revision, cause: first },
    );
    this.name = "UndecryptableListError";
    this.page = result.page;
    this.failures = result.failures;
  }
}

/** One prefix's providers, imported. */
interface Rule {
  readonly prefix: string;
  /** The key writes use; `null` writes plaintext (`identity` first). */
  readonly write: AesGcmKey | null;
  /** Every `aesgcm` key of the prefix, by name (the first provider's wins a duplicate name). */
  readonly keys: ReadonlyMap<string, AesGcmKey>;
  /** Whether plaintext values are read (an `identity` provider). */
  readonly identity: boolean;
}

/** A key dropped from the config, kept readable until history older than `until` is compacted. */
interface RetiredKey {
  readonly prefix: string;
  readonly key: AesGcmKey;
  readonly until: number;
}

const HEADER_OVERHEAD = NONCE_BYTES + TAG_BYTES;

/**
 * What the encryption prefix of a stored `value` names, or `null` when the value is plaintext
 * (or its prefix is malformed).
 *
 * @example Tell an encrypted value from plaintext
 * ```ts
 * import assert from "node:assert/strict";
 * import { storedEncryption } from "./encrypting_storage.ts";
 *
 * assert.equal(storedEncryption(new TextEncoder().encode("{}")), null);
 * const sealed = new TextEncoder().encode("k8s:enc:aesgcm:v1:key1:…");
 * assert.deepEqual(storedEncryption(sealed), { provider: "aesgcm", keyName: "key1" });
 * ```
 */
export function storedEncryption(value: Uint8Array): StoredEncryption | null {
  const header = parseEnvelopeHeader(value);
  return header ? { provider: header.provider, keyName: header.keyName } : null;
}

function overlaps(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

async function importRule(config: EncryptedPrefix): Promise<Rule> {
  validatePrefix(config.prefix);
  if (config.providers.length === 0) {
    throw new TypeError(`Cannot encrypt prefix "${config.prefix}": it has no provider`);
  }
  const keys = new Map<string, AesGcmKey>();
  let write: AesGcmKey | null = null;
  let identity = false;
  for (const [i, provider] of config.providers.entries()) {
    if (provider.type === "identity") {
      identity = true;
      continue;
    }
    if (provider.keys.length === 0) {
      throw new TypeError(
        `Cannot encrypt prefix "${config.prefix}": its aesgcm provider ${i} has no key`,
      );
    }
    for (const [k, key] of provider.keys.entries()) {
      if (key.name === "" || key.name.includes(":")) {
        throw new TypeError(
          `Cannot use encryption key name "${key.name}": it must be non-empty, without ":"`,
        );
      }
      const imported = await importAesGcmKey(key.name, key.secret);
      if (i === 0 && k === 0) write = imported;
      if (!keys.has(key.name)) keys.set(key.name, imported);
    }
  }
  return { prefix: config.prefix, write, keys, identity };
}

/**
 * Wraps `inner` so that values under `options.prefixes` are encrypted at rest. The prefixes are
 * fixed for the storage's life; their providers change with
 * {@linkcode EncryptingStorage.setConfig}.
 *
 * @example Encrypt Secrets over an in-memory store
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStorage } from "./memory.ts";
 * import { openEncryptingStorage } from "./encrypting_storage.ts";
 *
 * const secret = crypto.getRandomValues(new Uint8Array(32));
 * await using storage = await openEncryptingStorage(new MemoryStorage(), {
 *   prefixes: [{
 *     prefix: "/registry/secrets/",
 *     providers: [{ type: "aesgcm", keys: [{ name: "key1", secret }] }, { type: "identity" }],
 *   }],
 * });
 * const key = "/registry/secrets/default/db";
 * await storage.create(key, new TextEncoder().encode("hunter2"));
 * assert.equal(new TextDecoder().decode((await storage.get(key))!.value), "hunter2");
 * const raw = new TextDecoder().decode((await storage.raw.get(key))!.value);
 * assert.match(raw, /^k8s:enc:aesgcm:v1:key1:/);
 * assert.ok(!raw.includes("hunter2"));
 * ```
 */
export async function openEncryptingStorage(
  inner: Storage,
  options: EncryptingStorageOptions,
): Promise<EncryptingStorage> {
  const storage = new EncryptingStorage(inner, options.prefixes.map((p) => p.prefix));
  await storage.setConfig(options);
  return storage;
}

/** {@linkcode Storage} encrypting some prefixes; create it with {@linkcode openEncryptingStorage}. */
export class EncryptingStorage implements Storage {
  #inner: Storage;
  #prefixes: readonly string[];
  #rules: readonly Rule[] = [];
  #retired: RetiredKey[] = [];
  /** Writes under an encrypted prefix in flight, so a config change can wait for them. */
  #writes = new Set<Promise<unknown>>();

  /**
   * Wraps `inner`, encrypting nothing until {@linkcode EncryptingStorage.setConfig} gives the
   * providers of `prefixes` (prefer {@linkcode openEncryptingStorage}).
   */
  constructor(inner: Storage, prefixes: readonly string[]) {
    for (const [i, prefix] of prefixes.entries()) {
      validatePrefix(prefix);
      const other = prefixes.slice(0, i).find((p) => overlaps(p, prefix));
      if (other !== undefined) {
        throw new TypeError(`Cannot encrypt prefixes "${other}" and "${prefix}": they nest`);
      }
    }
    this.#inner = inner;
    this.#prefixes = Object.freeze([...prefixes]);
  }

  /** The wrapped storage, which sees values as stored (encrypted). */
  get raw(): Storage {
    return this.#inner;
  }

  /** The encrypted prefixes. */
  get prefixes(): readonly string[] {
    return this.#prefixes;
  }

  /**
   * Replaces the providers of the prefixes (the same prefixes as at open). Keys that leave the
   * config stay readable until history older than the current revision is compacted (watchers
   * lagging behind a rotation still decrypt their events). Resolves once every write that
   * started under the old config has landed: later writes all use the new one.
   */
  async setConfig(options: EncryptingStorageOptions): Promise<void> {
    const given = options.prefixes.map((p) => p.prefix);
    if (given.length !== this.#prefixes.length || given.some((p) => !this.#prefixes.includes(p))) {
      throw new TypeError(
        `Cannot change the encrypted prefixes from ${JSON.stringify(this.#prefixes)} to ${
          JSON.stringify(given)
        }: they are fixed when the storage opens`,
      );
    }
    const rules = await Promise.all(options.prefixes.map(importRule));
    const until = this.#rules.length > 0 ? await this.#inner.currentRevision() : 0;
    const retired = this.#retired.filter((r) =>
      !rules.some((rule) => rule.prefix === r.prefix && rule.keys.has(r.key.name))
    );
    for (const old of this.#rules) {
      const rule = rules.find((r) => r.prefix === old.prefix);
      for (const key of old.keys.values()) {
        if (!rule?.keys.has(key.name)) retired.push({ prefix: old.prefix, key, until });
      }
    }
    this.#rules = rules;
    this.#retired = retired;
    await Promise.allSettled([...this.#writes]);
  }

  /**
   * The name of the encryption key a write to `key` uses now, or `null` when it is stored as
   * plaintext (no rule, or `identity` first).
   */
  writeKeyOf(key: string): string | null {
    return this.#ruleOf(key)?.write?.name ?? null;
  }

  /** The names of the keys dropped from the config that are still readable (see setConfig). */
  retiredKeys(): string[] {
    return this.#retired.map((r) => r.key.name);
  }

  #ruleOf(key: string): Rule | undefined {
    for (const rule of this.#rules) if (key.startsWith(rule.prefix)) return rule;
    return undefined;
  }

  #encrypts(prefix: string): boolean {
    return this.#prefixes.some((p) => overlaps(p, prefix));
  }

  // --- values -------------------------------------------------------------------------------

  async #seal(key: string, value: Uint8Array): Promise<Uint8Array> {
    const rule = this.#ruleOf(key);
    if (!rule?.write) return value;
    validateKey(key);
    validateValue(key, value);
    const overhead = rule.write.prefix.byteLength + HEADER_OVERHEAD;
    if (value.byteLength + overhead > MAX_VALUE_BYTES) {
      throw new InvalidInputError(
        `Cannot write key "${key}": value is ${value.byteLength} bytes, more than ${
          MAX_VALUE_BYTES - overhead
        } (${MAX_VALUE_BYTES} once encrypted)`,
      );
    }
    return await sealValue(rule.write, { storageKey: key, plaintext: value });
  }

  #retiredKey(prefix: string, name: string): AesGcmKey | undefined {
    return this.#retired.find((r) => r.prefix === prefix && r.key.name === name)?.key;
  }

  /**
   * The key-value with its value decrypted (the same object when it needs no decryption).
   * Throws {@linkcode DecryptionError} when it cannot be decrypted.
   */
  async decrypt(kv: KeyValue): Promise<KeyValue> {
    const rule = this.#ruleOf(kv.key);
    if (!rule) return kv;
    const header = parseEnvelopeHeader(kv.value);
    if (header === null) {
      if (isEncrypted(kv.value)) {
        throw new DecryptionError(
          `Cannot decrypt key "${kv.key}": its value has a malformed encryption prefix`,
          { key: kv.key, revision: kv.modRevision },
        );
      }
      if (rule.identity) return kv;
      throw new DecryptionError(
        `Cannot read key "${kv.key}": its value is not encrypted and the encryption config has no identity provider for "${rule.prefix}"`,
        { key: kv.key, revision: kv.modRevision },
      );
    }
    const { provider, version, keyName } = header;
    if (provider !== AESGCM || version !== "v1") {
      throw new DecryptionError(
        `Cannot decrypt key "${kv.key}": it is encrypted by provider "${provider}" ${version}, which skiff does not support`,
        { key: kv.key, keyName, revision: kv.modRevision },
      );
    }
    const key = rule.keys.get(keyName) ?? this.#retiredKey(rule.prefix, keyName);
    if (!key) {
      throw new DecryptionError(
        `Cannot decrypt key "${kv.key}": it is encrypted with encryption key "${keyName}", which the encryption config does not have`,
        { key: kv.key, keyName, revision: kv.modRevision },
      );
    }
    const plain = await openValue(key, {
      storageKey: kv.key,
      value: kv.value,
      payloadOffset: header.payloadOffset,
    });
    if (plain === null) {
      throw new DecryptionError(
        `Cannot decrypt key "${kv.key}": its value does not authenticate with encryption key "${keyName}" (altered, or copied from another key)`,
        { key: kv.key, keyName, revision: kv.modRevision },
      );
    }
    return { ...kv, value: plain };
  }

  /** Decrypts a watch event; a failure names the event's revision, to resume after it. */
  async #decryptEvent(event: WatchEvent): Promise<WatchEvent> {
    if (!this.#ruleOf(event.kv.key)) return event;
    try {
      const kv = await this.decrypt(event.kv);
      return event.prevKv
        ? { type: event.type, kv, prevKv: await this.decrypt(event.prevKv) }
        : { type: event.type, kv };
    } catch (err) {
      if (!(err instanceof DecryptionError) || err.revision === event.kv.modRevision) throw err;
      throw new DecryptionError(err.message, {
        key: err.key,
        keyName: err.keyName,
        revision: event.kv.modRevision,
        cause: err,
      });
    }
  }

  async *#decryptEvents(events: AsyncIterable<WatchEvent>): AsyncIterable<WatchEvent> {
    for await (const event of events) yield await this.#decryptEvent(event);
  }

  /** Runs a write of an encrypted key, tracked while it is in flight (see setConfig). */
  async #tracked(write: () => Promise<KeyValue>): Promise<KeyValue> {
    const running = write();
    this.#writes.add(running);
    try {
      return await running;
    } finally {
      this.#writes.delete(running);
    }
  }

  // --- Storage ------------------------------------------------------------------------------

  async get(key: string, options?: GetOptions): Promise<KeyValue | null> {
    const kv = await this.#inner.get(key, options);
    return kv && await this.decrypt(kv);
  }

  async list(prefix: string, options?: ListOptions): Promise<ListResult> {
    const page = await this.#inner.list(prefix, options);
    if (!this.#encrypts(prefix)) return page;
    const items: KeyValue[] = [];
    const failures: DecryptionError[] = [];
    for (const result of await Promise.allSettled(page.items.map((kv) => this.decrypt(kv)))) {
      if (result.status === "fulfilled") items.push(result.value);
      else if (result.reason instanceof DecryptionError) failures.push(result.reason);
      else throw result.reason;
    }
    if (failures.length > 0) {
      throw new UndecryptableListError(prefix, { page: { ...page, items }, failures });
    }
    return { ...page, items };
  }

  create(key: string, value: Uint8Array, options?: CreateOptions): Promise<KeyValue> {
    if (!this.#ruleOf(key)) return this.#inner.create(key, value, options);
    return this.#tracked(async () => {
      const stored = await this.#seal(key, value);
      const kv = await this.#inner.create(key, stored, options);
      return stored === value ? kv : { ...kv, value: value.slice() };
    });
  }

  update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue> {
    if (!this.#ruleOf(key)) return this.#inner.update(key, value, expectedRevision);
    return this.#tracked(async () => {
      const stored = await this.#seal(key, value);
      const kv = await this.#inner.update(key, stored, expectedRevision);
      return stored === value ? kv : { ...kv, value: value.slice() };
    });
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    return await this.decrypt(await this.#inner.delete(key, expectedRevision));
  }

  watch(prefix: string, fromRevision: number, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const events = this.#inner.watch(prefix, fromRevision, signal);
    return this.#encrypts(prefix) ? this.#decryptEvents(events) : events;
  }

  currentRevision(): Promise<number> {
    return this.#inner.currentRevision();
  }

  /** Compacts the backend; keys retired before `revision` are forgotten. */
  async compact(revision: number): Promise<void> {
    await this.#inner.compact(revision);
    this.#retired = this.#retired.filter((r) => r.until > revision);
  }

  compactedRevision(): Promise<number> {
    return this.#inner.compactedRevision();
  }

  async close(): Promise<void> {
    this.#rules = [];
    this.#retired = [];
    await this.#inner.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
