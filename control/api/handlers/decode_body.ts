/**
 * Decodes a write's body into an object of the requested kind, as kube-apiserver's
 * serializer does: JSON, YAML (and protobuf, when a decoder is given) by `Content-Type`;
 * `apiVersion`/`kind` defaulted from the URL and checked against it; the object decoded
 * against the kind's schema with `fieldValidation` (Strict: unknown or duplicate fields are a
 * 400; Warn, the default: `Warning` headers; Ignore: silently dropped).
 *
 * @module
 */
import { decodeObject, type FieldValidation, formatStrictErrors } from "../codec/decode.ts";
import { type ParsedBody, parseJsonBody } from "../codec/json_body.ts";
import { parseYamlBody } from "../codec/yaml_body.ts";
import { ApiError } from "../errors.ts";
import { bodyFormat } from "../media_type.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { ObjectSchema } from "../types/schema.ts";
import { isJsonObject } from "../util/json_value.ts";
import { type FieldError, notSupported } from "../validation/field_errors.ts";

/** The options kind a verb's query parameters belong to, as upstream's errors name it. */
export type OptionsKind = "CreateOptions" | "UpdateOptions" | "PatchOptions" | "DeleteOptions";

function invalidOptions(kind: OptionsKind, error: FieldError): ApiError {
  return ApiError.invalid({ group: "meta.k8s.io", kind }, { name: "", errors: [error] });
}

/** Reads `?fieldValidation=`: Warn when absent, as the server default; 422 otherwise. */
export function fieldValidationOf(
  query: URLSearchParams,
  kind: OptionsKind = "CreateOptions",
): FieldValidation {
  const v = query.get("fieldValidation");
  if (v === null || v === "") return "Warn";
  if (v === "Strict" || v === "Warn" || v === "Ignore") return v;
  throw invalidOptions(
    kind,
    notSupported("fieldValidation", { value: v, supported: ["", "Ignore", "Strict", "Warn"] }),
  );
}

/** Reads `?dryRun=`: only `All` exists (422 otherwise, as upstream's ValidateDryRun). */
export function dryRunOf(query: URLSearchParams, kind: OptionsKind = "CreateOptions"): boolean {
  const values = query.getAll("dryRun").filter((v) => v !== "");
  if (values.some((v) => v !== "All")) {
    throw invalidOptions(kind, notSupported("dryRun", { value: values, supported: ["All"] }));
  }
  return values.length > 0;
}

/** Decodes a protobuf body into a JSON value (see `codec/protobuf`). */
export type ProtobufDecoder = (bytes: Uint8Array, schema: ObjectSchema) => unknown;

/** What the body decoded to. */
export interface DecodedBody {
  readonly object: KubeObject;
  /** Warnings to send (`unknown field "spec.foo"` under Warn). */
  readonly warnings: string[];
}

/** Options of {@linkcode decodeBody}. */
export interface DecodeBodyOptions {
  readonly contentType: string | null;
  readonly schema: ObjectSchema;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly fieldValidation: FieldValidation;
  readonly protobuf?: ProtobufDecoder;
  /**
   * Accept the kind under any group version (DeleteOptions is sent as `v1`, `meta.k8s.io/v1`
   * or the resource's own group version).
   */
  readonly anyGroupVersion?: boolean;
}

const SUPPORTED = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];

function unrecognized(kind: string, detail: string): ApiError {
  return ApiError.badRequest(
    `the object provided is unrecognized (must be of type ${kind}): ${detail}`,
  );
}

/**
 * Decodes `bytes` as an object of `options.kind`, throwing the `ApiError` Kubernetes answers
 * for each way a body can be wrong.
 */
export function decodeBody(bytes: Uint8Array, options: DecodeBodyOptions): DecodedBody {
  const format = bodyFormat(options.contentType);
  if (format === null) {
    throw ApiError.unsupportedMediaType(options.contentType ?? "", SUPPORTED);
  }
  const gv = options.group ? `${options.group}/${options.version}` : options.version;
  let value: unknown;
  let parsed: (ParsedBody & { readonly yamlErrors?: readonly string[] }) | undefined;
  if (format === "protobuf") {
    if (!options.protobuf) {
      throw ApiError.unsupportedMediaType(options.contentType ?? "", SUPPORTED);
    }
    try {
      value = options.protobuf(bytes, options.schema);
    } catch (err) {
      throw ApiError.badRequest(
        `${options.kind} in version ${
          JSON.stringify(options.version)
        } cannot be handled as a ${options.kind}: ${(err as Error).message}`,
      );
    }
  } else {
    const text = new TextDecoder().decode(bytes);
    try {
      parsed = format === "json" ? parseJsonBody(text) : parseYamlBody(text);
      value = parsed.value;
    } catch (err) {
      throw unrecognized(
        options.kind,
        `couldn't get version/kind; json parse error: ${(err as Error).message}`,
      );
    }
  }
  if (!isJsonObject(value)) {
    throw unrecognized(
      options.kind,
      "couldn't get version/kind; json parse error: not a JSON object",
    );
  }
  const apiVersion = value.apiVersion ?? gv;
  const kind = value.kind ?? options.kind;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    throw unrecognized(options.kind, "apiVersion and kind must be strings");
  }
  if (apiVersion !== gv && !options.anyGroupVersion) {
    throw ApiError.badRequest(
      `the API version in the data (${apiVersion}) does not match the expected API version (${gv})`,
    );
  }
  if (kind !== options.kind) {
    throw ApiError.badRequest(
      `the kind in the data (${kind}) does not match the expected kind (${options.kind})`,
    );
  }
  const decoded = decodeObject(options.schema, {
    fieldValidation: options.fieldValidation,
    value,
    ...(parsed ? { body: parsed } : {}),
  });
  const prefix = `${options.kind} in version ${
    JSON.stringify(options.version)
  } cannot be handled as a ${options.kind}`;
  if (decoded.errors.length > 0) throw ApiError.badRequest(`${prefix}: ${decoded.errors[0]}`);
  if (options.fieldValidation === "Strict" && decoded.strictErrors.length > 0) {
    throw ApiError.badRequest(`${prefix}: ${formatStrictErrors(decoded.strictErrors)}`);
  }
  const warnings = [...decoded.warnings];
  const object = decoded.object as KubeObject;
  object.apiVersion = gv;
  object.kind = options.kind;
  return { object, warnings };
}
