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
  return storedListBytes([{ value: bytes, modRevision: revision }], false);
}

/** One stored object for {@linkcode storedListBytes}: its bytes and revision, or JSON text. */
export type ListPart =
  | { readonly value: Uint8Array; readonly modRevision: number }
  | { readonly json: string };

const RV_OPEN = encoder.encode('"resourceVersion":"');
const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;

/** How many decimal digits `n` (a non-negative integer) has. */
function digitCount(n: number): number {
  let count = 1;
  for (let rest = Math.floor(n / 10); rest > 0; rest = Math.floor(rest / 10)) count++;
  return count;
}

/**
 * The JSON of `parts` joined by commas as one UTF-8 buffer (a comma first when
 * `leadingComma`): each stored object spliced as {@linkcode storedToJsonBytes} splices it, in
 * two passes over the bytes without decoding them to text — what a list page of hundreds of
 * objects is sent as.
 */
export function storedListBytes(
  parts: readonly ListPart[],
  leadingComma: boolean,
): Uint8Array<ArrayBuffer> {
  const texts: (Uint8Array | null)[] = [];
  const offsets: number[] = [];
  let total = leadingComma && parts.length > 0 ? parts.length : Math.max(0, parts.length - 1);
  for (const part of parts) {
    if ("json" in part) {
      const text = encoder.encode(part.json);
      texts.push(text);
      offsets.push(-1);
      total += text.byteLength;
      continue;
    }
    const at = metadataAt(part.value);
    if (at < 0) {
      const text = encoder.encode(storedToJson(part.value, part.modRevision));
      texts.push(text);
      offsets.push(-1);
      total += text.byteLength;
      continue;
    }
    const insert = at + METADATA_BYTES.byteLength;
    texts.push(null);
    offsets.push(insert);
    total += part.value.byteLength + RV_OPEN.byteLength + digitCount(part.modRevision) + 1 +
      (part.value[insert] === CLOSE_BRACE ? 0 : 1);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0 || leadingComma) out[o++] = COMMA;
    const text = texts[i];
    if (text) {
      out.set(text, o);
      o += text.byteLength;
      continue;
    }
    const { value, modRevision } = parts[i] as { value: Uint8Array; modRevision: number };
    const insert = offsets[i]!;
    out.set(value.subarray(0, insert), o);
    o += insert;
    out.set(RV_OPEN, o);
    o += RV_OPEN.byteLength;
    const digits = digitCount(modRevision);
    for (let d = digits - 1, n = modRevision; d >= 0; d--, n = Math.floor(n / 10)) {
      out[o + d] = 0x30 + (n % 10);
    }
    o += digits;
    out[o++] = QUOTE;
    if (value[insert] !== CLOSE_BRACE) out[o++] = COMMA;
    out.set(value.subarray(insert), o);
    o += value.byteLength - insert;
  }
  return out;
}
