/**
 * The ConfigMap strategy (upstream `ValidateConfigMap` / `ValidateConfigMapUpdate`): keys are
 * config keys and never in both `data` and `binaryData`, the values hold at most 1 MiB
 * together, and an `immutable` ConfigMap keeps its data.
 *
 * @module
 */
import { type ConfigMap, MAX_SECRET_SIZE } from "../types/core_v1_config.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  type FieldError,
  FieldPath,
  forbidden,
  invalid,
  invalidEach,
  tooLong,
} from "../validation/field_errors.ts";
import { isConfigMapKey } from "../validation/names.ts";
import { semanticEqual } from "../validation/semantic_equal.ts";
import type { Strategy } from "./strategy.ts";

const IMMUTABLE = "field is immutable when `immutable` is set";

/** The number of bytes a base64 string decodes to. */
export function base64DecodedLength(value: string): number {
  const s = value.replace(/=+$/, "");
  return Math.floor((s.length * 3) / 4);
}

/** The strategy of `configmaps`. */
export const configMapStrategy: Strategy = {
  validate(obj: KubeObject): FieldError[] {
    const cm = obj as ConfigMap;
    const errs: FieldError[] = [];
    const data = cm.data ?? {};
    const binaryData = cm.binaryData ?? {};
    let total = 0;
    const dataPath = new FieldPath("data");
    for (const [key, value] of Object.entries(data)) {
      errs.push(...invalidEach(dataPath.index(key), { value: key, messages: isConfigMapKey(key) }));
      if (Object.hasOwn(binaryData, key)) {
        errs.push(invalid(dataPath.index(key), {
          value: key,
          detail: "duplicate of key present in binaryData",
        }));
      }
      total += new TextEncoder().encode(value).length;
    }
    const binaryPath = new FieldPath("binaryData");
    for (const [key, value] of Object.entries(binaryData)) {
      errs.push(
        ...invalidEach(binaryPath.index(key), { value: key, messages: isConfigMapKey(key) }),
      );
      total += base64DecodedLength(value);
    }
    // Upstream reports the size at the object's root path, which prints as "[]".
    if (total > MAX_SECRET_SIZE) errs.push(tooLong("[]", MAX_SECRET_SIZE));
    return errs;
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    const cm = obj as ConfigMap;
    const before = old as ConfigMap;
    if (before.immutable !== true) return [];
    const errs: FieldError[] = [];
    if (cm.immutable !== true) errs.push(forbidden("immutable", IMMUTABLE));
    if (!semanticEqual(cm.data, before.data)) errs.push(forbidden("data", IMMUTABLE));
    if (!semanticEqual(cm.binaryData, before.binaryData)) {
      errs.push(forbidden("binaryData", IMMUTABLE));
    }
    return errs;
  },
};
