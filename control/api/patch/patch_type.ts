/**
 * The patch type a `PATCH` request's `Content-Type` names. Upstream
 * (`apiserver/pkg/endpoints/handlers/patch.go`) cuts the header at the first `;` and compares
 * the rest exactly; skiff parses the media type (type and subtype compared case-insensitively,
 * parameters such as `charset=utf-8` ignored), which accepts what upstream accepts and a little
 * more. `application/apply-patch+cbor` is refused, as upstream does while its
 * `CBORServingAndStorage` feature gate is off (the default in v1.33).
 *
 * @example Read kubectl's Content-Type
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePatchType } from "./patch_type.ts";
 *
 * assert.equal(parsePatchType("application/strategic-merge-patch+json"), "strategic");
 * assert.equal(parsePatchType("Application/Merge-Patch+JSON; charset=utf-8"), "merge");
 * assert.equal(parsePatchType("application/json"), null);
 * ```
 *
 * @module
 */
import { parseMediaType } from "../media_type.ts";

/** A patch type: JSON patch, JSON merge patch, strategic merge patch, server-side apply. */
export type PatchType = "json" | "merge" | "strategic" | "apply";

/** The media type of each patch type. */
export const PATCH_MEDIA_TYPES: Readonly<Record<PatchType, string>> = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
};

/**
 * The media types a built-in resource accepts, in upstream's order (the order its 415 message
 * lists them in).
 */
export const BUILT_IN_PATCH_MEDIA_TYPES: readonly string[] = [
  PATCH_MEDIA_TYPES.json,
  PATCH_MEDIA_TYPES.merge,
  PATCH_MEDIA_TYPES.strategic,
  PATCH_MEDIA_TYPES.apply,
];

/**
 * The media types a custom resource accepts: no strategic merge patch, which needs the Go
 * struct tags a CRD does not have.
 */
export const CUSTOM_RESOURCE_PATCH_MEDIA_TYPES: readonly string[] = [
  PATCH_MEDIA_TYPES.json,
  PATCH_MEDIA_TYPES.merge,
  PATCH_MEDIA_TYPES.apply,
];

const BY_MEDIA_TYPE: ReadonlyMap<string, PatchType> = new Map(
  (Object.entries(PATCH_MEDIA_TYPES) as [PatchType, string][]).map(([t, m]) => [m, t]),
);

/**
 * The patch type `contentType` names, or null when it names none (the handler answers 415).
 * Parameters are ignored, even malformed ones, as upstream ignores everything after `;`.
 */
export function parsePatchType(contentType: string | null | undefined): PatchType | null {
  if (contentType === null || contentType === undefined) return null;
  const semicolon = contentType.indexOf(";");
  const essence = semicolon < 0 ? contentType : contentType.slice(0, semicolon);
  const media = parseMediaType(essence);
  if (media === null) return null;
  return BY_MEDIA_TYPE.get(`${media.type}/${media.subtype}`) ?? null;
}
