/**
 * How API objects are stored: JSON bytes with `apiVersion`, `kind` and `metadata` first and
 * `metadata.resourceVersion` left out — the revision of the write is the resourceVersion, as
 * on etcd, and is put back on the way out.
 *
 * Because the stored text always starts with the two strings and then `"metadata":{`, an
 * object can be served without parsing it: {@linkcode storedToJson} splices the
 * resourceVersion in as the first metadata field. Lists and watch events of thousands of
 * objects use that path.
 *
 * @example Round-trip an object
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeStored, encodeForStorage, storedToJson } from "./object_codec.ts";
 *
 * const bytes = encodeForStorage({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", resourceVersion: "9" } });
 * assert.equal(decodeStored(bytes, 12).metadata?.resourceVersion, "12");
 * assert.equal(JSON.parse(storedToJson(bytes, 12)).metadata.name, "a");
 * ```
 *
 * @module
 */
import type { KubeObject } from "../types/meta_v1.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes `obj` for storage: apiVersion, kind, metadata (without resourceVersion), the rest. */
export function encodeForStorage(obj: KubeObject): Uint8Array {
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, ...meta } = metadata ?? {};
  const text = JSON.stringify({
    apiVersion: apiVersion ?? "",
    kind: kind ?? "",
    metadata: meta,
    ...rest,
  });
  return encoder.encode(text);
}

/** Decodes stored bytes, setting `metadata.resourceVersion` to `revision`. */
export function decodeStored(bytes: Uint8Array, revision: number): KubeObject {
  const obj = JSON.parse(decoder.decode(bytes)) as KubeObject;
  obj.metadata ??= {};
  obj.metadata.resourceVersion = String(revision);
  return obj;
}

const METADATA = '"metadata":{';

/**
 * The JSON text of a stored object with its resourceVersion, without parsing it. Falls back to
 * a parse when the bytes were not written by {@linkcode encodeForStorage}.
 */
export function storedToJson(bytes: Uint8Array, revision: number): string {
  const text = decoder.decode(bytes);
  const at = text.indexOf(METADATA);
  if (at < 0 || at > 4096) return JSON.stringify(decodeStored(bytes, revision));
  const insert = at + METADATA.length;
  const sep = text[insert] === "}" ? "" : ",";
  return `${text.slice(0, insert)}"resourceVersion":"${revision}"${sep}${text.slice(insert)}`;
}

const METADATA_BYTES = encoder.encode(METADATA);

/** Where `"metadata":{` starts in the first 4 KiB of `bytes`, or -1. */
function metadataAt(bytes: Uint8Array): number {
  const end = Math.min(bytes.byteLength, 4096 + METADATA_BYTES.byteLength) -
    METADATA_BYTES.byteLength;
  outer: for (let i = 0; i <= end; i++) {
    for (let j = 0; j < METADATA_BYTES.byteLength; j++) {
      if (bytes[i + j] !== METADATA_BYTES[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/**
 * {@linkcode storedToJson} as UTF-8 bytes, spliced without decoding the stored text (a GET's
 * answer is the stored bytes with the resourceVersion put in).
 */
export function storedToJsonBytes(bytes: Uint8Array, revision: number): Uint8Array<ArrayBuffer> {
  const at = metadataAt(bytes);
  if (at < 0) return encoder.encode(storedToJson(bytes, revision));
  const insert = at + METADATA_BYTES.byteLength;
  const rv = encoder.encode(
    `"resourceVersion":"${revision}"${bytes[insert] === 0x7d /* } */ ? "" : ","}`,
  );
  const out = new Uint8Array(bytes.byteLength + rv.byteLength);
  out.set(bytes.subarray(0, insert), 0);
  out.set(rv, insert);
  out.set(bytes.subarray(insert), insert + rv.byteLength);
  return out;
}
