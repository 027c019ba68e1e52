/**
 * Key rotation and status for encryption at rest, done online by the process that owns the
 * storage (k3s's `secrets-encrypt rotate-keys` in one step):
 *
 * 1. A new random key is added in front of every resource that writes with `aesgcm`, written to
 *    the key file **first**, then applied: from then on every write uses it, and the old keys
 *    still read. A crash at any later point leaves every value readable, because both keys stay
 *    in the file until step 3.
 * 2. Every stored value under those resources is re-encrypted with a guarded update (skipping
 *    values already on the new key, re-reading on a conflict): a concurrent write is never lost,
 *    it only makes the rewrite of that value unnecessary. A second pass checks that nothing is
 *    left on an old key.
 * 3. The old keys are dropped from the file, then from the storage (which keeps them readable
 *    in memory for history until it is compacted past the rotation).
 *
 * Re-encryption rewrites each value, so it bumps the resourceVersion of every Secret and sends
 * a MODIFIED watch event, as upstream's `kubectl replace` of every Secret does.
 *
 * @module
 */
import type { Logger } from "../util/logger.ts";
import { encodeContinue } from "./continue_token.ts";
import {
  type EncryptingStorage,
  type EncryptionProvider,
  storedEncryption,
} from "./encrypting_storage.ts";
import {
  encryptingStorageOptionsOf,
  type EncryptionConfiguration,
  newEncryptionKey,
  type ResourceEncryption,
  resourcePrefix,
  writeEncryptionConfig,
} from "./encryption_config.ts";
import { CompactedError, ConflictError, KeyNotFoundError, StorageError } from "./errors.ts";
import type { KeyValue } from "./types.ts";

/** Options of {@linkcode EncryptionKeyManager}. */
export interface EncryptionKeyManagerOptions {
  /** The storage applying {@linkcode EncryptionKeyManagerOptions.config}. */
  readonly storage: EncryptingStorage;
  /** The key file; rotation rewrites it. */
  readonly path: string;
  /** The config the storage was opened with, as loaded from `path`. */
  readonly config: EncryptionConfiguration;
  readonly logger?: Logger;
  /** Values read per list page. @default {200} */
  readonly pageSize?: number;
}

/** How the values of one resource are stored. */
export interface ResourceEncryptionStatus {
  readonly resource: string;
  readonly prefix: string;
  /** The key new values are encrypted with; `null` when they are written as plaintext. */
  readonly writeKey: string | null;
  /** The `aesgcm` keys of the config for this resource, in order. */
  readonly keys: readonly string[];
  /** Stored values per encryption key name (including names the config lacks). */
  readonly encrypted: Readonly<Record<string, number>>;
  /** Stored values that are plaintext. */
  readonly plaintext: number;
}

/** What {@linkcode EncryptionKeyManager.status} reports. */
export interface EncryptionStatus {
  /** Whether some resource is written encrypted. */
  readonly enabled: boolean;
  /** The key file. */
  readonly path: string;
  /** Whether a rotation is running. */
  readonly rotating: boolean;
  readonly resources: readonly ResourceEncryptionStatus[];
}

/** Progress of the re-encryption of one resource. */
export interface RotationProgress {
  readonly resource: string;
  readonly prefix: string;
  /** Values read (a value read again after a conflict counts once). */
  scanned: number;
  /** Values re-encrypted with the new key. */
  rewritten: number;
  /** Values found already on the new key (written meanwhile, or by an earlier attempt). */
  current: number;
  /** Guarded updates that lost to a concurrent write (the value was re-read). */
  conflicts: number;
  /** Values deleted while the rotation ran. */
  gone: number;
}

/** What {@linkcode EncryptionKeyManager.rotate} did. */
export interface RotationResult {
  /** The key every value is now encrypted with. */
  readonly newKey: string;
  /** The keys dropped from the config. */
  readonly droppedKeys: readonly string[];
  readonly resources: readonly RotationProgress[];
}

/** Options of {@linkcode EncryptionKeyManager.rotate}. */
export interface RotateOptions {
  /** Called after every page of values, with the resource's counts so far. */
  readonly onProgress?: (progress: Readonly<RotationProgress>) => void;
  /** Stops the re-encryption between values (both keys then stay in the config). */
  readonly signal?: AbortSignal;
}

/** A rotation was asked for while one is running. */
export class RotationInProgressError extends Error {
  constructor() {
    super("Cannot rotate encryption keys: a rotation is already running");
    this.name = "RotationInProgressError";
  }
}

/** A rotation that cannot finish; both the old and the new keys stay in the config. */
export class RotationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RotationError";
  }
}

const DEFAULT_PAGE_SIZE = 200;
/** Passes over the values: the last one must find nothing left to rewrite. */
const MAX_PASSES = 3;
/** Conflicts on one value before giving up (a value rewritten this often is on the new key). */
const MAX_ATTEMPTS = 100;
/** Storage keys named in an error about values that cannot be decrypted. */
const NAMED_FAILURES = 5;

function writesEncrypted(entry: ResourceEncryption): boolean {
  return entry.providers[0]?.type === "aesgcm";
}

function keyNames(providers: readonly EncryptionProvider[]): string[] {
  return providers.flatMap((p) => p.type === "aesgcm" ? p.keys.map((k) => k.name) : []);
}

/** `key<N>` with N one more than every `key<N>` of `config`. */
export function nextKeyName(config: EncryptionConfiguration): string {
  const names = new Set(config.resources.flatMap((r) => keyNames(r.providers)));
  let n = 0;
  for (const name of names) {
    const match = /^key(\d+)$/.exec(name);
    if (match) n = Math.max(n, Number(match[1]));
  }
  let name = `key${n + 1}`;
  while (names.has(name)) name = `key${++n + 1}`;
  return name;
}

/**
 * Reports and rotates the encryption keys of an {@linkcode EncryptingStorage}; one per server.
 *
 * @example Rotate the key of Secrets
 * ```ts ignore
 * const keys = new EncryptionKeyManager({ storage, path, config });
 * const result = await keys.rotate();
 * console.log(`now on ${result.newKey}, dropped ${result.droppedKeys.join(", ")}`);
 * ```
 */
export class EncryptionKeyManager {
  readonly #storage: EncryptingStorage;
  readonly #path: string;
  readonly #logger: Logger | undefined;
  readonly #pageSize: number;
  #config: EncryptionConfiguration;
  #rotating = false;

  constructor(options: EncryptionKeyManagerOptions) {
    this.#storage = options.storage;
    this.#path = options.path;
    this.#config = options.config;
    this.#logger = options.logger;
    this.#pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  }

  /** The config in effect (changes as a rotation runs). */
  get config(): EncryptionConfiguration {
    return this.#config;
  }

  /** Counts the stored values of every encrypted resource by the key they are encrypted with. */
  async status(): Promise<EncryptionStatus> {
    const resources: ResourceEncryptionStatus[] = [];
    for (const entry of this.#config.resources) {
      for (const resource of entry.resources) {
        const prefix = resourcePrefix(resource);
        const encrypted: Record<string, number> = {};
        let plaintext = 0;
        await this.#scan(prefix, (kv) => {
          const found = storedEncryption(kv.value);
          if (found === null) plaintext++;
          else encrypted[found.keyName] = (encrypted[found.keyName] ?? 0) + 1;
          return Promise.resolve();
        });
        const first = entry.providers[0];
        resources.push({
          resource,
          prefix,
          writeKey: first?.type === "aesgcm" ? first.keys[0]?.name ?? null : null,
          keys: keyNames(entry.providers),
          encrypted,
          plaintext,
        });
      }
    }
    return {
      enabled: this.#config.resources.some(writesEncrypted),
      path: this.#path,
      rotating: this.#rotating,
      resources,
    };
  }

  /**
   * Adds a new key, re-encrypts every value with it and drops the old keys (see the module
   * doc). Throws {@linkcode RotationInProgressError} while another rotation runs, and
   * {@linkcode RotationError} when encryption is disabled or values cannot be decrypted.
   */
  async rotate(options: RotateOptions = {}): Promise<RotationResult> {
    if (this.#rotating) throw new RotationInProgressError();
    this.#rotating = true;
    try {
      return await this.#rotate(options);
    } finally {
      this.#rotating = false;
    }
  }

  async #apply(config: EncryptionConfiguration): Promise<void> {
    // The file first: a crash after it restarts with the keys the storage may have used.
    await writeEncryptionConfig(this.#path, config);
    await this.#storage.setConfig(encryptingStorageOptionsOf(config));
    this.#config = config;
  }

  async #rotate(options: RotateOptions): Promise<RotationResult> {
    const before = this.#config;
    if (!before.resources.some(writesEncrypted)) {
      throw new RotationError(
        `Cannot rotate encryption keys: encryption is disabled in "${this.#path}" (no resource is written with aesgcm)`,
      );
    }
    const newKey = newEncryptionKey(nextKeyName(before));
    const added: EncryptionConfiguration = {
      resources: before.resources.map((r) => {
        if (!writesEncrypted(r)) return r;
        const [first, ...rest] = r.providers as [EncryptionProvider, ...EncryptionProvider[]];
        if (first.type !== "aesgcm") return r;
        return { ...r, providers: [{ type: "aesgcm", keys: [newKey, ...first.keys] }, ...rest] };
      }),
    };
    const rotated = added.resources.filter(writesEncrypted);
    const droppedKeys = [...new Set(rotated.flatMap((r) => keyNames(r.providers)))]
      .filter((name) => name !== newKey.name);
    this.#logger?.info("Rotating encryption keys", {
      newKey: newKey.name,
      oldKeys: droppedKeys,
      resources: rotated.flatMap((r) => r.resources),
    });
    await this.#apply(added);

    const results: RotationProgress[] = [];
    for (const entry of rotated) {
      for (const resource of entry.resources) {
        const progress: RotationProgress = {
          resource,
          prefix: resourcePrefix(resource),
          scanned: 0,
          rewritten: 0,
          current: 0,
          conflicts: 0,
          gone: 0,
        };
        results.push(progress);
        try {
          await this.#reencrypt(progress, newKey.name, options);
        } catch (err) {
          this.#logger?.warn("Cannot finish rotating encryption keys", {
            newKey: newKey.name,
            resource,
            error: err instanceof Error ? err.message : String(err),
          });
          throw err;
        }
      }
    }

    await this.#apply({
      resources: added.resources.map((r) => {
        if (!writesEncrypted(r)) return r;
        return {
          ...r,
          providers: [
            { type: "aesgcm", keys: [newKey] },
            ...r.providers.filter((p) => p.type !== "aesgcm"),
          ],
        };
      }),
    });
    const rewritten = results.reduce((n, r) => n + r.rewritten, 0);
    this.#logger?.info("Rotated encryption keys", {
      newKey: newKey.name,
      droppedKeys,
      rewritten,
    });
    return { newKey: newKey.name, droppedKeys, resources: results };
  }

  /** Passes over `progress.prefix` until one finds nothing to rewrite. */
  async #reencrypt(
    progress: RotationProgress,
    newKey: string,
    options: RotateOptions,
  ): Promise<void> {
    for (let pass = 1;; pass++) {
      const failures: { key: string; error: StorageError }[] = [];
      let changed = 0;
      await this.#scan(progress.prefix, async (kv) => {
        options.signal?.throwIfAborted();
        const outcome = await this.#rewrite(kv, newKey, progress);
        if (pass === 1) progress.scanned++;
        if (outcome === "rewritten") {
          progress.rewritten++;
          changed++;
        } else if (outcome === "gone") progress.gone++;
        else if (outcome === "current") {
          if (pass === 1) progress.current++;
        } else failures.push({ key: kv.key, error: outcome });
      }, () => options.onProgress?.(progress));
      if (failures.length > 0) {
        const named = failures.slice(0, NAMED_FAILURES).map((f) => `"${f.key}"`).join(", ");
        throw new RotationError(
          `Cannot rotate encryption keys: ${failures.length} ${
            failures.length === 1 ? "value" : "values"
          } under "${progress.prefix}" cannot be decrypted (${named}); the old keys stay in "${this.#path}"`,
          { cause: failures[0]!.error },
        );
      }
      if (changed === 0) return;
      if (pass === MAX_PASSES) {
        throw new RotationError(
          `Cannot rotate encryption keys: values under "${progress.prefix}" were still written with an old key after ${pass} passes`,
        );
      }
    }
  }

  /** Re-encrypts one value with a guarded update; returns what happened. */
  async #rewrite(
    first: KeyValue,
    newKey: string,
    progress: RotationProgress,
  ): Promise<"rewritten" | "current" | "gone" | StorageError> {
    let kv: KeyValue | null = first;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (kv === null) return "gone";
      const found = storedEncryption(kv.value);
      if (found?.provider === "aesgcm" && found.keyName === newKey) return "current";
      let plain: KeyValue;
      try {
        plain = await this.#storage.decrypt(kv);
      } catch (err) {
        if (err instanceof StorageError) return err;
        throw err;
      }
      try {
        await this.#storage.update(kv.key, plain.value, kv.modRevision);
        return "rewritten";
      } catch (err) {
        if (err instanceof KeyNotFoundError) return "gone";
        if (!(err instanceof ConflictError)) throw err;
        progress.conflicts++;
        kv = await this.#storage.raw.get(kv.key);
      }
    }
    throw new RotationError(
      `Cannot re-encrypt key "${first.key}": it changed on each of ${MAX_ATTEMPTS} attempts`,
    );
  }

  /**
   * Calls `visit` with every stored (raw) value under `prefix`, page by page; `afterPage` after
   * each page. A compaction racing the paged list resumes after the last key seen.
   */
  async #scan(
    prefix: string,
    visit: (kv: KeyValue) => Promise<void>,
    afterPage?: () => void,
  ): Promise<void> {
    const raw = this.#storage.raw;
    let next: string | undefined;
    let lastKey: string | undefined;
    for (;;) {
      let page;
      try {
        page = await raw.list(prefix, {
          limit: this.#pageSize,
          ...(next === undefined ? {} : { continue: next }),
        });
      } catch (err) {
        if (!(err instanceof CompactedError) || lastKey === undefined) throw err;
        next = encodeContinue(await raw.currentRevision(), lastKey);
        continue;
      }
      for (const kv of page.items) {
        await visit(kv);
        lastKey = kv.key;
      }
      afterPage?.();
      if (page.continue === undefined) return;
      next = page.continue;
    }
  }
}
