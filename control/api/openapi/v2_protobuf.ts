/**
 * The Swagger 2.0 document as the protobuf message gnostic's `openapi.v2.Document` defines,
 * which kubectl 1.27 and 1.28 fetch from `/openapi/v2` (they decode nothing else) and serve it
 * with `Content-Type: application/com.github.proto-openapi.spec.v2.v1.0+protobuf`.
 *
 * skiff's own encoder, written from the published field numbers of gnostic's
 * `openapiv2/OpenAPIv2.proto`: it walks the JSON document and writes each object as the
 * message it maps to. Vendor extensions (`x-kubernetes-group-version-kind`,
 * `x-kubernetes-patch-strategy`…), defaults and enums become `NamedAny`/`Any` values holding
 * YAML text (JSON is YAML), which is how kubectl reads them back.
 *
 * @example Encode a document
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeOpenApiV2Protobuf } from "./v2_protobuf.ts";
 *
 * const bytes = encodeOpenApiV2Protobuf({ swagger: "2.0", info: { title: "Kubernetes", version: "v1.33.0" } });
 * assert.deepEqual([...bytes.subarray(0, 5)], [0x0a, 0x03, 0x32, 0x2e, 0x30]); // field 1: "2.0"
 * ```
 *
 * @module
 */
import protobuf from "protobufjs";

/** The media type kube-apiserver answers `/openapi/v2` protobuf requests with. */
export const OPENAPI_V2_PROTOBUF_TYPE =
  "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

type Json = Record<string, unknown>;
type Writer = protobuf.Writer;

const LEN = 2;
const VARINT = 0;
const FIXED64 = 1;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(w: Writer, field: number, v: unknown): void {
  if (typeof v === "string" && v !== "") w.uint32((field << 3) | LEN).string(v);
}

function strs(w: Writer, field: number, v: unknown): void {
  if (!Array.isArray(v)) return;
  for (const s of v) if (typeof s === "string") w.uint32((field << 3) | LEN).string(s);
}

function bool(w: Writer, field: number, v: unknown): void {
  if (v === true) w.uint32((field << 3) | VARINT).bool(true);
}

function double(w: Writer, field: number, v: unknown): void {
  if (typeof v === "number" && v !== 0) w.uint32((field << 3) | FIXED64).double(v);
}

function int64(w: Writer, field: number, v: unknown): void {
  if (typeof v === "number" && v !== 0) w.uint32((field << 3) | VARINT).int64(v);
}

function message(w: Writer, field: number, write: (w: Writer) => void): void {
  w.uint32((field << 3) | LEN).fork();
  write(w);
  w.ldelim();
}

/** An `Any` holding the YAML (here: JSON) text of a value. */
function any(w: Writer, field: number, value: unknown): void {
  message(w, field, (m) => str(m, 2, `${JSON.stringify(value)}\n`));
}

/** `repeated NamedAny vendor_extension` from the `x-` keys of an object. */
function vendorExtensions(w: Writer, field: number, obj: Json): void {
  for (const [name, value] of Object.entries(obj)) {
    if (!name.startsWith("x-")) continue;
    message(w, field, (m) => {
      str(m, 1, name);
      any(m, 2, value);
    });
  }
}

function schema(w: Writer, s: Json): void {
  str(w, 1, s.$ref);
  str(w, 2, s.format);
  str(w, 3, s.title);
  str(w, 4, s.description);
  if ("default" in s) any(w, 5, s.default);
  double(w, 6, s.multipleOf);
  double(w, 7, s.maximum);
  bool(w, 8, s.exclusiveMaximum);
  double(w, 9, s.minimum);
  bool(w, 10, s.exclusiveMinimum);
  int64(w, 11, s.maxLength);
  int64(w, 12, s.minLength);
  str(w, 13, s.pattern);
  int64(w, 14, s.maxItems);
  int64(w, 15, s.minItems);
  bool(w, 16, s.uniqueItems);
  int64(w, 17, s.maxProperties);
  int64(w, 18, s.minProperties);
  strs(w, 19, s.required);
  if (Array.isArray(s.enum)) { for (const e of s.enum) any(w, 20, e); }
  const ap = s.additionalProperties;
  if (isObject(ap)) message(w, 21, (m) => message(m, 1, (x) => schema(x, ap)));
  else if (typeof ap === "boolean") message(w, 21, (m) => m.uint32((2 << 3) | VARINT).bool(ap));
  if (typeof s.type === "string") message(w, 22, (m) => str(m, 1, s.type));
  else if (Array.isArray(s.type)) message(w, 22, (m) => strs(m, 1, s.type));
  const items = s.items;
  if (isObject(items)) message(w, 23, (m) => message(m, 1, (x) => schema(x, items)));
  else if (Array.isArray(items)) {
    message(w, 23, (m) => {
      for (const i of items) if (isObject(i)) message(m, 1, (x) => schema(x, i));
    });
  }
  if (Array.isArray(s.allOf)) {
    for (const a of s.allOf) if (isObject(a)) message(w, 24, (m) => schema(m, a));
  }
  const props = s.properties;
  if (isObject(props)) {
    message(w, 25, (m) => {
      for (const [name, p] of Object.entries(props)) {
        if (!isObject(p)) continue;
        message(m, 1, (n) => {
          str(n, 1, name);
          message(n, 2, (x) => schema(x, p));
        });
      }
    });
  }
  str(w, 26, s.discriminator);
  bool(w, 27, s.readOnly);
  if ("example" in s) any(w, 30, s.example);
  vendorExtensions(w, 31, s);
}

/** A non-body parameter's sub-schema: the field numbers shift by one without `allow_empty_value`. */
function nonBody(w: Writer, p: Json): void {
  const withEmpty = p.in === "query" || p.in === "formData";
  const o = withEmpty ? 1 : 0;
  bool(w, 1, p.required);
  str(w, 2, p.in);
  str(w, 3, p.description);
  str(w, 4, p.name);
  if (withEmpty) bool(w, 5, p.allowEmptyValue);
  str(w, 5 + o, p.type);
  str(w, 6 + o, p.format);
  str(w, 8 + o, p.collectionFormat);
  if ("default" in p) any(w, 9 + o, p.default);
  double(w, 10 + o, p.maximum);
  bool(w, 11 + o, p.exclusiveMaximum);
  double(w, 12 + o, p.minimum);
  bool(w, 13 + o, p.exclusiveMinimum);
  int64(w, 14 + o, p.maxLength);
  int64(w, 15 + o, p.minLength);
  str(w, 16 + o, p.pattern);
  int64(w, 17 + o, p.maxItems);
  int64(w, 18 + o, p.minItems);
  bool(w, 19 + o, p.uniqueItems);
  if (Array.isArray(p.enum)) { for (const e of p.enum) any(w, 20 + o, e); }
  double(w, 21 + o, p.multipleOf);
  vendorExtensions(w, 22 + o, p);
}

const NON_BODY_FIELD: Readonly<Record<string, number>> = {
  header: 1,
  formData: 2,
  query: 3,
  path: 4,
};

/** A `ParametersItem`. */
function parametersItem(w: Writer, p: Json): void {
  if (typeof p.$ref === "string") {
    message(w, 2, (m) => {
      str(m, 1, p.$ref);
      str(m, 2, p.description);
    });
    return;
  }
  message(w, 1, (param) => {
    if (p.in === "body") {
      message(param, 1, (b) => {
        str(b, 1, p.description);
        str(b, 2, p.name);
        str(b, 3, p.in);
        bool(b, 4, p.required);
        if (isObject(p.schema)) message(b, 5, (x) => schema(x, p.schema as Json));
        vendorExtensions(b, 6, p);
      });
      return;
    }
    const which = NON_BODY_FIELD[String(p.in)] ?? 3;
    message(param, 2, (nb) => message(nb, which, (x) => nonBody(x, p)));
  });
}

function parameters(w: Writer, field: number, list: unknown): void {
  if (!Array.isArray(list)) return;
  for (const p of list) if (isObject(p)) message(w, field, (m) => parametersItem(m, p));
}

function responses(w: Writer, rs: Json): void {
  for (const [code, r] of Object.entries(rs)) {
    if (!isObject(r)) continue;
    if (code.startsWith("x-")) continue;
    message(w, 1, (named) => {
      str(named, 1, code);
      message(named, 2, (value) => {
        if (typeof r.$ref === "string") {
          message(value, 2, (ref) => {
            str(ref, 1, r.$ref);
            str(ref, 2, r.description);
          });
          return;
        }
        message(value, 1, (resp) => {
          str(resp, 1, r.description);
          if (isObject(r.schema)) {
            message(resp, 2, (item) => message(item, 1, (x) => schema(x, r.schema as Json)));
          }
          vendorExtensions(resp, 5, r);
        });
      });
    });
  }
  vendorExtensions(w, 2, rs);
}

function operation(w: Writer, op: Json): void {
  strs(w, 1, op.tags);
  str(w, 2, op.summary);
  str(w, 3, op.description);
  str(w, 5, op.operationId);
  strs(w, 6, op.produces);
  strs(w, 7, op.consumes);
  parameters(w, 8, op.parameters);
  if (isObject(op.responses)) message(w, 9, (m) => responses(m, op.responses as Json));
  strs(w, 10, op.schemes);
  bool(w, 11, op.deprecated);
  vendorExtensions(w, 13, op);
}

const METHODS: readonly [string, number][] = [
  ["get", 2],
  ["put", 3],
  ["post", 4],
  ["delete", 5],
  ["options", 6],
  ["head", 7],
  ["patch", 8],
];

function pathItem(w: Writer, item: Json): void {
  str(w, 1, item.$ref);
  for (const [method, field] of METHODS) {
    const op = item[method];
    if (isObject(op)) message(w, field, (m) => operation(m, op));
  }
  parameters(w, 9, item.parameters);
  vendorExtensions(w, 10, item);
}

function securityRequirement(w: Writer, req: Json): void {
  for (const [name, scopes] of Object.entries(req)) {
    message(w, 1, (n) => {
      str(n, 1, name);
      message(n, 2, (arr) => strs(arr, 1, scopes));
    });
  }
}

function securityDefinitions(w: Writer, defs: Json): void {
  for (const [name, def] of Object.entries(defs)) {
    if (!isObject(def)) continue;
    message(w, 1, (n) => {
      str(n, 1, name);
      message(n, 2, (item) => {
        if (def.type === "basic") {
          message(item, 1, (b) => {
            str(b, 1, def.type);
            str(b, 2, def.description);
            vendorExtensions(b, 3, def);
          });
        } else if (def.type === "apiKey") {
          message(item, 2, (k) => {
            str(k, 1, def.type);
            str(k, 2, def.name);
            str(k, 3, def.in);
            str(k, 4, def.description);
            vendorExtensions(k, 5, def);
          });
        }
      });
    });
  }
}

/** Encodes a Swagger 2.0 document (as {@linkcode buildOpenApiV2} returns) as gnostic's `openapi.v2.Document`. */
export function encodeOpenApiV2Protobuf(doc: object): Uint8Array {
  const d = doc as Json;
  const w = protobuf.Writer.create();
  str(w, 1, d.swagger);
  if (isObject(d.info)) {
    const info = d.info;
    message(w, 2, (m) => {
      str(m, 1, info.title);
      str(m, 2, info.version);
      str(m, 3, info.description);
      str(m, 4, info.termsOfService);
      vendorExtensions(m, 7, info);
    });
  }
  str(w, 3, d.host);
  str(w, 4, d.basePath);
  strs(w, 5, d.schemes);
  strs(w, 6, d.consumes);
  strs(w, 7, d.produces);
  if (isObject(d.paths)) {
    const paths = d.paths;
    message(w, 8, (m) => {
      vendorExtensions(m, 1, paths);
      for (const [path, item] of Object.entries(paths)) {
        if (path.startsWith("x-") || !isObject(item)) continue;
        message(m, 2, (n) => {
          str(n, 1, path);
          message(n, 2, (x) => pathItem(x, item));
        });
      }
    });
  }
  if (isObject(d.definitions)) {
    const defs = d.definitions;
    message(w, 9, (m) => {
      for (const [name, s] of Object.entries(defs)) {
        if (!isObject(s)) continue;
        message(m, 1, (n) => {
          str(n, 1, name);
          message(n, 2, (x) => schema(x, s));
        });
      }
    });
  }
  if (Array.isArray(d.security)) {
    for (const req of d.security) {
      if (isObject(req)) {
        message(w, 12, (m) => securityRequirement(m, req));
      }
    }
  }
  if (isObject(d.securityDefinitions)) {
    const defs = d.securityDefinitions;
    message(w, 13, (m) => securityDefinitions(m, defs));
  }
  if (Array.isArray(d.tags)) {
    for (const t of d.tags) {
      if (!isObject(t)) continue;
      message(w, 14, (m) => {
        str(m, 1, t.name);
        str(m, 2, t.description);
      });
    }
  }
  vendorExtensions(w, 16, d);
  const out = w.finish();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
