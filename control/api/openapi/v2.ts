/**
 * The Swagger 2.0 document kube-apiserver serves at `/openapi/v2`: every operation of every
 * served resource and all their `definitions`, in v2's forms (IntOrString as
 * `type: string, format: int-or-string`, Quantity as a string, bodies as `in: body`
 * parameters). kubectl 1.27 and 1.28 read it (as protobuf: {@linkcode encodeOpenApiV2Protobuf})
 * for field-validation detection, client-side validation and `explain`.
 *
 * @example Build the document
 * ```ts
 * import assert from "node:assert/strict";
 * import { objectFields } from "../types/meta_v1.ts";
 * import { object } from "../types/schema.ts";
 * import { buildOpenApiV2 } from "./v2.ts";
 *
 * const Namespace = object("io.k8s.api.core.v1.Namespace", {
 *   description: "A scope for names.",
 *   gvk: [{ group: "", version: "v1", kind: "Namespace" }],
 *   fields: { ...objectFields },
 * });
 * const doc = buildOpenApiV2([{
 *   group: "", version: "v1", kind: "Namespace", resource: "namespaces", namespaced: false,
 *   verbs: ["get", "list"], schema: Namespace, subresources: [],
 * }], { gitVersion: "v1.33.0" }) as { paths: Record<string, unknown> };
 * assert.ok("/api/v1/namespaces/{name}" in doc.paths);
 * ```
 *
 * @module
 */
import { Definitions, sortedKeys } from "./_definitions.ts";
import {
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
    type: p.type,
    uniqueItems: true,
  };
  if (p.required) out.required = true;
  return out;
}

function operation(op: OperationSpec, defs: Definitions): Json {
  const params = op.params.map(parameter);
  if (op.body) {
    const body: Json = { in: "body", name: "body", schema: defs.use(op.body.schema) };
    if (op.body.required) body.required = true;
    params.push(body);
  }
  const responses: Json = {};
  for (const r of op.responses) {
    responses[r.code] = {
      description: r.description,
      schema: r.schema ? defs.use(r.schema) : { type: "string" },
    };
  }
  responses["401"] = { description: "Unauthorized" };
  const out: Json = {
    consumes: op.body?.patch ? [...PATCH_TYPES] : ["*/*"],
    description: op.description,
    operationId: op.operationId,
    produces: responseTypes(op.produces),
    responses,
    schemes: ["https"],
    tags: [op.tag],
    "x-kubernetes-action": op.action,
    "x-kubernetes-group-version-kind": {
      group: op.gvk.group,
      kind: op.gvk.kind,
      version: op.gvk.version,
    },
  };
  if (params.length > 0) out.parameters = params;
  return out;
}

/** The Swagger 2.0 document of `resources`. Deterministic, keys sorted. */
export function buildOpenApiV2(resources: readonly OpenApiResource[], info: OpenApiInfo): object {
  const defs = new Definitions("v2", groupVersionsOf(resources));
  const paths: Json = {};
  for (const p of pathsOf(resources)) {
    const item: Json = {};
    for (const op of p.ops) item[op.method] = operation(op, defs);
    if (p.params.length > 0) item.parameters = p.params.map(parameter);
    paths[p.path] = item;
  }
  return sortedKeys({
    swagger: "2.0",
    info: { title: "Kubernetes", version: info.gitVersion },
    paths,
    definitions: defs.all(),
    securityDefinitions: {
      BearerToken: {
        description: "Bearer token authentication",
        in: "header",
        name: "authorization",
        type: "apiKey",
      },
    },
    security: [{ BearerToken: [] }],
  }) as object;
}
