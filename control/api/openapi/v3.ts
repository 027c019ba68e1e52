/**
 * OpenAPI v3 documents as kube-apiserver serves them under `/openapi/v3`: one per
 * group-version (`api/v1`, `apis/apps/v1`) with every operation of its resources and the
 * schemas they reach, plus the `/openapi/v3` index pointing at each by content hash. kubectl
 * 1.29+ reads them for `explain`, to learn that the server validates fields
 * (`x-kubernetes-group-version-kind` on `patch` operations with a `fieldValidation`
 * parameter), and 1.33 for strategic-merge-patch metadata.
 *
 * @example Build the documents and their index
 * ```ts
 * import assert from "node:assert/strict";
 * import { field, object, string } from "../types/schema.ts";
 * import { objectFields } from "../types/meta_v1.ts";
 * import { buildOpenApiV3, openApiDocumentHash, openApiV3Index } from "./v3.ts";
 *
 * const ConfigMap = object("io.k8s.api.core.v1.ConfigMap", {
 *   description: "Configuration data.",
 *   gvk: [{ group: "", version: "v1", kind: "ConfigMap" }],
 *   fields: { ...objectFields, immutable: field(string(), { description: "" }) },
 * });
 * const docs = buildOpenApiV3([{
 *   group: "", version: "v1", kind: "ConfigMap", resource: "configmaps", namespaced: true,
 *   verbs: ["get", "patch"], schema: ConfigMap, subresources: [],
 * }], { gitVersion: "v1.33.0" });
 * const hashes = new Map([...docs].map(([k, d]) => [k, openApiDocumentHash(JSON.stringify(d))]));
 * const index = openApiV3Index(docs, (key) => hashes.get(key)!);
 * assert.deepEqual(Object.keys(index.paths), ["api/v1"]);
 * assert.match(index.paths["api/v1"]!.serverRelativeURL, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { Definitions, sortedKeys } from "./_definitions.ts";
import {
  groupVersionKey,
  groupVersionsOf,
  type OperationSpec,
  type ParamSpec,
  PATCH_TYPES,
  pathsOf,
  responseTypes,
} from "./_operations.ts";
import type { OpenApiInfo, OpenApiResource } from "./types.ts";

type Json = Record<string, unknown>;

function parameter(p: ParamSpec): Json {
  const out: Json = {
    description: p.description,
    in: p.in,
    name: p.name,
    schema: { type: p.type, uniqueItems: true },
  };
  if (p.required) out.required = true;
  return out;
}

function operation(op: OperationSpec, defs: Definitions): Json {
  const out: Json = {
    description: op.description,
    operationId: op.operationId,
  };
  if (op.params.length > 0) out.parameters = op.params.map(parameter);
  if (op.body) {
    const schema = defs.use(op.body.schema);
    const content: Json = {};
    for (const type of op.body.patch ? PATCH_TYPES : ["*/*"]) content[type] = { schema };
    out.requestBody = op.body.required ? { content, required: true } : { content };
  }
  const responses: Json = {};
  for (const r of op.responses) {
    const schema = r.schema ? defs.use(r.schema) : { type: "string" };
    const content: Json = {};
    for (const type of responseTypes(op.produces)) content[type] = { schema };
    responses[r.code] = { content, description: r.description };
  }
  responses["401"] = { description: "Unauthorized" };
  out.responses = responses;
  out.tags = [op.tag];
  out["x-kubernetes-action"] = op.action;
  out["x-kubernetes-group-version-kind"] = {
    group: op.gvk.group,
    kind: op.gvk.kind,
    version: op.gvk.version,
  };
  return out;
}

/**
 * The OpenAPI v3 document of every group-version of `resources`, keyed as kube-apiserver
 * serves them (`api/v1`, `apis/apps/v1`). Deterministic: the same resources give the same
 * documents, keys sorted.
 */
export function buildOpenApiV3(
  resources: readonly OpenApiResource[],
  info: OpenApiInfo,
): Map<string, object> {
  const everyGroupVersion = groupVersionsOf(resources);
  const docs = new Map<string, object>();
  const keys = everyGroupVersion.map((gv) => groupVersionKey(gv.group, gv.version)).sort();
  for (const key of keys) {
    const own = resources.filter((r) => groupVersionKey(r.group, r.version) === key);
    const defs = new Definitions("v3", everyGroupVersion);
    const paths: Json = {};
    for (const p of pathsOf(own)) {
      const item: Json = {};
      for (const op of p.ops) item[op.method] = operation(op, defs);
      if (p.params.length > 0) item.parameters = p.params.map(parameter);
      paths[p.path] = item;
    }
    docs.set(
      key,
      sortedKeys({
        openapi: "3.0.0",
        info: { title: "Kubernetes", version: info.gitVersion },
        paths,
        components: { schemas: defs.all() },
      }) as object,
    );
  }
  return docs;
}

/** The `/openapi/v3` index document. */
export interface OpenApiV3Index {
  readonly paths: Record<string, { readonly serverRelativeURL: string }>;
}

/**
 * The `/openapi/v3` index: each group-version document's URL with its content hash
 * (`hashOf(key)`, e.g. {@linkcode openApiDocumentHash} of the served bytes).
 */
export function openApiV3Index(
  docs: ReadonlyMap<string, object>,
  hashOf: (key: string) => string,
): OpenApiV3Index {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const key of [...docs.keys()].sort()) {
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hashOf(key)}` };
  }
  return { paths };
}

/** Upstream's document hash: SHA-512 of the served bytes, upper-case hex. */
export function openApiDocumentHash(bytes: string | Uint8Array): string {
  return createHash("sha512").update(bytes).digest("hex").toUpperCase();
}
