/**
 * Chooses a storage backend by URL scheme, as kine's driver registry:
 * `memory://`, `kv:///path/to/file.db` (Deno KV), `etcd://host:port[,host:port…]`.
 *
 * @module
 */
import { InvalidInputError } from "./errors.ts";
import { MemoryStorage } from "./memory.ts";
import { openDenoKvStorage } from "./deno_kv.ts";
import type { Storage } from "./types.ts";

/** The schemes {@linkcode openStorage} understands. */
export const STORAGE_SCHEMES = ["memory", "kv", "etcd"] as const;

/**
 * Opens the backend a storage URL names.
 *
 * @example Open an in-memory store
 * ```ts
 * import { openStorage } from "./registry.ts";
 * await using storage = await openStorage("memory://");
 * await storage.create("/registry/namespaces/default", new Uint8Array());
 * ```
 */
export async function openStorage(url: string): Promise<Storage> {
  const match = /^([a-z0-9]+):\/\/(.*)$/.exec(url);
  if (!match) {
    throw new InvalidInputError(
      `Cannot open storage "${url}": expected <scheme>://…, one of ${STORAGE_SCHEMES.join(", ")}`,
    );
  }
  const [, scheme, rest] = match as unknown as [string, string, string];
  switch (scheme) {
    case "memory":
      return new MemoryStorage();
    case "kv":
      if (!rest.startsWith("/")) {
        throw new InvalidInputError(`Cannot open storage "${url}": kv:// needs an absolute path`);
      }
      return await openDenoKvStorage({ path: rest });
    case "etcd": {
      const endpoints = rest.split(",").filter((h) => h !== "").map((h) =>
        /^https?:\/\//.test(h) ? h : `http://${h}`
      );
      if (endpoints.length === 0) {
        throw new InvalidInputError(`Cannot open storage "${url}": no etcd endpoint given`);
      }
      // Loaded only when used: etcd3 and gRPC cost about 16 MiB of RSS on a device that
      // runs on Deno KV.
      const { openEtcdStorage } = await import("./etcd.ts");
      return await openEtcdStorage({ endpoints });
    }
    default:
      throw new InvalidInputError(
        `Cannot open storage "${url}": unknown scheme "${scheme}", expected one of ${
          STORAGE_SCHEMES.join(", ")
        }`,
      );
  }
}
