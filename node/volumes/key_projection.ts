/**
 * The files of a ConfigMap or a Secret in a volume: every key under its own name, or only the
 * listed `items` at their `path`s with their `mode`s; a listed key that is missing fails the
 * volume unless it is `optional`. Errors read as upstream's.
 *
 * @example The files of a ConfigMap
 * ```ts
 * import assert from "node:assert/strict";
 * import { configMapPayload } from "./key_projection.ts";
 *
 * const payload = configMapPayload(
 *   { metadata: { name: "app" }, data: { "app.conf": "port = 80" } },
 *   { items: [{ key: "app.conf", path: "conf/app.conf", mode: 0o400 }] },
 * );
 * assert.equal(payload.get("conf/app.conf")?.mode, 0o400);
 * ```
 *
 * @module
 */
import type { KeyToPath } from "../../control/api/types/core_v1_common.ts";
import type { ConfigMap, Secret } from "../../control/api/types/core_v1_config.ts";
import type { FileProjection, Payload } from "./atomic_writer.ts";
import { DEFAULT_VOLUME_FILE_MODE } from "./downward_api.ts";

/** Which keys to project, and how. */
export interface KeyProjection {
  readonly items?: readonly KeyToPath[];
  /** @default {0o644} */
  readonly defaultMode?: number;
  /** Missing listed keys are skipped instead of failing. */
  readonly optional?: boolean;
}

/** Bytes of a base64 value (`binaryData`, a Secret's `data`). */
export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function project(
  lookup: (key: string) => Uint8Array | undefined,
  allKeys: () => Iterable<[string, Uint8Array]>,
  projection: KeyProjection,
  missing: (key: string) => string,
): Payload {
  const defaultMode = projection.defaultMode ?? DEFAULT_VOLUME_FILE_MODE;
  const payload = new Map<string, FileProjection>();
  const items = projection.items ?? [];
  if (items.length === 0) {
    for (const [key, data] of allKeys()) payload.set(key, { data, mode: defaultMode });
    return payload;
  }
  for (const item of items) {
    const data = lookup(item.key);
    if (data === undefined) {
      if (projection.optional) continue;
      throw new Error(missing(item.key));
    }
    payload.set(item.path, { data, mode: item.mode ?? defaultMode });
  }
  return payload;
}

/** The files of `configMap` (`data` as UTF-8, then `binaryData`). */
export function configMapPayload(configMap: ConfigMap, projection: KeyProjection): Payload {
  const encoder = new TextEncoder();
  const data = configMap.data ?? {};
  const binary = configMap.binaryData ?? {};
  const has = (m: object, k: string) => Object.prototype.hasOwnProperty.call(m, k);
  return project(
    (key) => {
      if (has(data, key)) return encoder.encode(data[key] ?? "");
      if (has(binary, key)) return decodeBase64(binary[key] ?? "");
      return undefined;
    },
    function* () {
      for (const [k, v] of Object.entries(data)) yield [k, encoder.encode(v)];
      for (const [k, v] of Object.entries(binary)) yield [k, decodeBase64(v)];
    },
    projection,
    (key) => `configmap references non-existent config key: ${key}`,
  );
}

/** The files of `secret` (its base64 `data`). */
export function secretPayload(secret: Secret, projection: KeyProjection): Payload {
  const data = secret.data ?? {};
  return project(
    (key) =>
      Object.prototype.hasOwnProperty.call(data, key) ? decodeBase64(data[key] ?? "") : undefined,
    function* () {
      for (const [k, v] of Object.entries(data)) yield [k, decodeBase64(v)];
    },
    projection,
    (key) => `references non-existent secret key: ${key}`,
  );
}
