/**
 * The Secret strategy (upstream `SetDefaults_Secret`, the v1 conversion of `stringData`, and
 * `ValidateSecret` / `ValidateSecretUpdate`): the type defaults to Opaque and never changes,
 * `stringData` is merged into `data` on write, keys are config keys, the values hold at most
 * 1 MiB, each well-known type has its required keys, and an `immutable` Secret keeps its data.
 *
 * @module
 */
import { MAX_SECRET_SIZE, type Secret, SECRET_TYPES } from "../types/core_v1_config.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  type FieldError,
  FieldPath,
  forbidden,
  invalid,
  invalidEach,
  required,
  tooLong,
} from "../validation/field_errors.ts";
import { validateImmutableField } from "../validation/immutable.ts";
import { isConfigMapKey } from "../validation/names.ts";
import { semanticEqual } from "../validation/semantic_equal.ts";
import { base64DecodedLength } from "./config_map.ts";
import type { Strategy } from "./strategy.ts";

const IMMUTABLE = "field is immutable when `immutable` is set";
const REDACTED = "<secret contents redacted>";

function encodeBase64(text: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary);
}

function decodeBase64(value: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** The error Go's `json.Unmarshal` into a `map[string]interface{}` gives for `bytes`, if any. */
export function goJsonMapError(bytes: Uint8Array): string | null {
  const text = new TextDecoder().decode(bytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const trimmed = text.trim();
    if (trimmed === "") return "unexpected end of JSON input";
    const first = trimmed[0]!;
    for (const literal of ["true", "false", "null"]) {
      if (first !== literal[0]) continue;
      for (let i = 1; i < literal.length; i++) {
        if (i >= trimmed.length) return "unexpected end of JSON input";
        if (trimmed[i] !== literal[i]) {
          return `invalid character '${trimmed[i]}' in literal ${literal} (expecting '${
            literal[i]
          }')`;
        }
      }
    }
    if (!'{["-0123456789tfn'.includes(first)) {
      return `invalid character '${first}' looking for beginning of value`;
    }
    return "unexpected end of JSON input";
  }
  if (parsed === null || (typeof parsed === "object" && !Array.isArray(parsed))) return null;
  const kind = Array.isArray(parsed)
    ? "array"
    : typeof parsed === "boolean"
    ? "bool"
    : typeof parsed;
  return `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`;
}

function validateDockerConfig(secret: Secret, key: string): FieldError[] {
  const p = new FieldPath("data").index(key);
  const value = secret.data?.[key];
  if (value === undefined) return [required(p)];
  const bytes = decodeBase64(value);
  const err = bytes === null ? null : goJsonMapError(bytes);
  return err === null ? [] : [invalid(p, { value: REDACTED, detail: err })];
}

function validateTypeKeys(secret: Secret): FieldError[] {
  const data = secret.data ?? {};
  const dataPath = new FieldPath("data");
  switch (secret.type ?? "") {
    case SECRET_TYPES.serviceAccountToken: {
      const name = secret.metadata?.annotations?.["kubernetes.io/service-account.name"];
      return name ? [] : [required(
        new FieldPath("metadata").child("annotations").index(
          "kubernetes.io/service-account.name",
        ),
      )];
    }
    case SECRET_TYPES.dockercfg:
      return validateDockerConfig(secret, ".dockercfg");
    case SECRET_TYPES.dockerConfigJson:
      return validateDockerConfig(secret, ".dockerconfigjson");
    case SECRET_TYPES.basicAuth:
      if (!Object.hasOwn(data, "username") && !Object.hasOwn(data, "password")) {
        return [required(dataPath.index("username")), required(dataPath.index("password"))];
      }
      return [];
    case SECRET_TYPES.sshAuth: {
      const key = data["ssh-privatekey"];
      return key === undefined || key === "" ? [required(dataPath.index("ssh-privatekey"))] : [];
    }
    case SECRET_TYPES.tls: {
      const errs: FieldError[] = [];
      if (!Object.hasOwn(data, "tls.crt")) errs.push(required(dataPath.index("tls.crt")));
      if (!Object.hasOwn(data, "tls.key")) errs.push(required(dataPath.index("tls.key")));
      return errs;
    }
    default:
      return [];
  }
}

/** The strategy of `secrets`. */
export const secretStrategy: Strategy = {
  default(obj: KubeObject): void {
    const secret = obj as Secret;
    if (!secret.type) secret.type = SECRET_TYPES.opaque;
    if (secret.stringData !== undefined) {
      const data = { ...secret.data };
      for (const [k, v] of Object.entries(secret.stringData)) data[k] = encodeBase64(v);
      secret.data = data;
      delete secret.stringData;
    }
  },
  validate(obj: KubeObject): FieldError[] {
    const secret = obj as Secret;
    const errs: FieldError[] = [];
    const dataPath = new FieldPath("data");
    let total = 0;
    for (const [key, value] of Object.entries(secret.data ?? {})) {
      errs.push(...invalidEach(dataPath.index(key), { value: key, messages: isConfigMapKey(key) }));
      total += base64DecodedLength(value);
    }
    if (total > MAX_SECRET_SIZE) errs.push(tooLong(dataPath, MAX_SECRET_SIZE));
    errs.push(...validateTypeKeys(secret));
    return errs;
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    const secret = obj as Secret;
    const before = old as Secret;
    const errs = validateImmutableField(secret.type, { old: before.type, path: "type" });
    if (before.immutable === true) {
      if (secret.immutable !== true) errs.push(forbidden("immutable", IMMUTABLE));
      if (!semanticEqual(secret.data, before.data)) errs.push(forbidden("data", IMMUTABLE));
    }
    return errs;
  },
};
