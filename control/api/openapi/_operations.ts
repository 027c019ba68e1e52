/**
 * The REST operations of the served resources, in a form both OpenAPI dialects render: the
 * paths, verbs, operation ids, `x-kubernetes-action`s, parameters, bodies and responses that
 * kube-apiserver publishes for each resource and subresource.
 *
 * @module
 */
import { DeleteOptions, Status } from "../types/meta_v1.ts";
import type { GroupVersionKind, ObjectSchema } from "../types/schema.ts";
import { listSchemaOf, Patch, WatchEvent } from "./_definitions.ts";
import type { OpenApiResource } from "./types.ts";

/** A query or path parameter. */
export interface ParamSpec {
  readonly name: string;
  readonly in: "query" | "path";
  readonly type: "string" | "boolean" | "integer";
  readonly description: string;
  readonly required?: boolean;
}

/** What a response carries. */
export type Produces = "object" | "list" | "watch" | "text";

/** One response. */
export interface ResponseSpec {
  readonly code: "200" | "201" | "202";
  readonly description: string;
  /** The schema of the body; absent for text. */
  readonly schema?: ObjectSchema;
}

/** One operation. */
export interface OperationSpec {
  readonly method: "get" | "put" | "post" | "delete" | "patch";
  readonly action: string;
  readonly operationId: string;
  readonly description: string;
  readonly tag: string;
  readonly gvk: GroupVersionKind;
  readonly params: readonly ParamSpec[];
  /** The request body: an object of a schema, or a patch. */
  readonly body?: {
    readonly schema: ObjectSchema;
    readonly patch?: boolean;
    readonly required: boolean;
  };
  readonly responses: readonly ResponseSpec[];
  readonly produces: Produces;
}

/** One path with its operations and the parameters all of them take. */
export interface PathSpec {
  readonly path: string;
  readonly params: readonly ParamSpec[];
  readonly ops: readonly OperationSpec[];
}

function query(name: string, type: ParamSpec["type"], description: string): ParamSpec {
  return { name, in: "query", type, description };
}

const P = {
  allowWatchBookmarks: query(
    "allowWatchBookmarks",
    "boolean",
    "Ask for BOOKMARK events on a watch; the server may send them or not.",
  ),
  continue: query("continue", "string", "The continue token of the previous page of a list."),
  dryRun: query(
    "dryRun",
    "string",
    'With "All", the request is processed but nothing is persisted.',
  ),
  fieldManager: query(
    "fieldManager",
    "string",
    "Name of the actor making the change, recorded in managedFields (at most 128 printable characters).",
  ),
  fieldSelector: query(
    "fieldSelector",
    "string",
    "Restrict the result by fields, e.g. metadata.name=web.",
  ),
  fieldValidation: query(
    "fieldValidation",
    "string",
    "How unknown and duplicate fields in the body are treated: Ignore, Warn (the default) or Strict.",
  ),
  force: query(
    "force",
    "boolean",
    "For apply patches: take ownership of fields other managers own. Must be unset for other patches.",
  ),
  gracePeriodSeconds: query(
    "gracePeriodSeconds",
    "integer",
    "Seconds before the object is deleted; 0 deletes at once. Unset uses the kind's default.",
  ),
  ignoreStoreReadError: query(
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "boolean",
    "Delete an object that cannot be read from storage (unsafe).",
  ),
  labelSelector: query(
    "labelSelector",
    "string",
    "Restrict the result by labels, e.g. app=web,tier!=db.",
  ),
  limit: query("limit", "integer", "The most items a list answer holds; continue reads the rest."),
  orphanDependents: query(
    "orphanDependents",
    "boolean",
    "Deprecated: use propagationPolicy. Whether dependents are orphaned.",
  ),
  pretty: query("pretty", "string", "If 'true', the output is indented."),
  propagationPolicy: query(
    "propagationPolicy",
    "string",
    "Whether and how dependents are deleted: Orphan, Background or Foreground.",
  ),
  resourceVersion: query(
    "resourceVersion",
    "string",
    "Which version of the data a read may answer with (see the API concepts on resource versions).",
  ),
  resourceVersionMatch: query(
    "resourceVersionMatch",
    "string",
    "How resourceVersion applies to a list: Exact or NotOlderThan.",
  ),
  sendInitialEvents: query(
    "sendInitialEvents",
    "boolean",
    "Start a watch with synthetic ADDED events for the current state, then a bookmark.",
  ),
  timeoutSeconds: query("timeoutSeconds", "integer", "Time limit of a list or watch call."),
  watch: query("watch", "boolean", "Watch for changes instead of listing."),
} as const;

const NAMESPACE: ParamSpec = {
  name: "namespace",
  in: "path",
  type: "string",
  description: "The namespace of the objects.",
  required: true,
};

function nameParam(kind: string): ParamSpec {
  return {
    name: "name",
    in: "path",
    type: "string",
    description: `Name of the ${kind}.`,
    required: true,
  };
}

const LIST_PARAMS = [
  P.allowWatchBookmarks,
  P.continue,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const PATCH_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation, P.force];
const DELETE_PARAMS = [
  P.dryRun,
  P.gracePeriodSeconds,
  P.ignoreStoreReadError,
  P.orphanDependents,
  P.propagationPolicy,
];
const DELETE_COLLECTION_PARAMS = [
  P.continue,
  P.dryRun,
  P.fieldSelector,
  P.gracePeriodSeconds,
  P.ignoreStoreReadError,
  P.labelSelector,
  P.limit,
  P.orphanDependents,
  P.propagationPolicy,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
];

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The group as upstream spells it in tags: `apps`, `core`, `rbacAuthorization`. */
function groupWord(group: string): string {
  if (group === "") return "core";
  const parts = group.replace(/\.k8s\.io$/, "").split(".");
  return parts.map((p, i) => (i === 0 ? p : capitalize(p))).join("");
}

/** The URL prefix of a group-version: `/api/v1`, `/apis/apps/v1`. */
export function groupVersionPrefix(group: string, version: string): string {
  return group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
}

/** The key of a group-version's v3 document: `api/v1`, `apis/apps/v1`. */
export function groupVersionKey(group: string, version: string): string {
  return groupVersionPrefix(group, version).slice(1);
}

function byName(a: ParamSpec, b: ParamSpec): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Collects operations by path. */
class PathTable {
  readonly #paths = new Map<string, { params: ParamSpec[]; ops: OperationSpec[] }>();

  add(path: string, params: readonly ParamSpec[], op: OperationSpec): void {
    let entry = this.#paths.get(path);
    if (!entry) this.#paths.set(path, entry = { params: [...params], ops: [] });
    entry.ops.push({ ...op, params: [...op.params].sort(byName) });
  }

  paths(): PathSpec[] {
    const out: PathSpec[] = [];
    for (const path of [...this.#paths.keys()].sort()) {
      const { params, ops } = this.#paths.get(path)!;
      if (ops.length === 1 && ops[0]!.method === "get" && ops[0]!.params.length > 0) {
        // A read-only path (watch, list across namespaces) takes its parameters at path level.
        out.push({
          path,
          params: [...params, ...ops[0]!.params].sort(byName),
          ops: [{ ...ops[0]!, params: [] }],
        });
      } else {
        out.push({ path, params: [...params].sort(byName), ops });
      }
    }
    return out;
  }
}

const OK = "OK";

function objectResponses(
  schema: ObjectSchema,
  codes: readonly ("200" | "201" | "202")[],
): ResponseSpec[] {
  const text = { "200": OK, "201": "Created", "202": "Accepted" } as const;
  return codes.map((code) => ({ code, description: text[code], schema }));
}

/** The operations of one resource, added to `table`. */
function addResource(table: PathTable, r: OpenApiResource): void {
  const G = capitalize(groupWord(r.group));
  const V = capitalize(r.version);
  const tag = `${groupWord(r.group)}_${r.version}`;
  const prefix = groupVersionPrefix(r.group, r.version);
  const ns = r.namespaced ? "Namespaced" : "";
  const scope = r.namespaced ? "/namespaces/{namespace}" : "";
  const scopeParams = r.namespaced ? [NAMESPACE, P.pretty] : [P.pretty];
  const collection = `${prefix}${scope}/${r.resource}`;
  const item = `${collection}/{name}`;
  const itemParams = [nameParam(r.kind), ...scopeParams];
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const kind = r.schema;
  const list = listSchemaOf(kind, gvk);
  const verbs = new Set(r.verbs);
  const base = { tag, gvk };

  if (verbs.has("list")) {
    table.add(collection, scopeParams, {
      ...base,
      method: "get",
      action: "list",
      operationId: `list${G}${V}${ns}${r.kind}`,
      description: `List or watch ${r.kind} objects.`,
      params: LIST_PARAMS,
      responses: objectResponses(list, ["200"]),
      produces: "list",
    });
    if (r.namespaced) {
      table.add(`${prefix}/${r.resource}`, [P.pretty], {
        ...base,
        method: "get",
        action: "list",
        operationId: `list${G}${V}${r.kind}ForAllNamespaces`,
        description: `List or watch ${r.kind} objects in all namespaces.`,
        params: LIST_PARAMS,
        responses: objectResponses(list, ["200"]),
        produces: "list",
      });
    }
  }
  if (verbs.has("create")) {
    table.add(collection, scopeParams, {
      ...base,
      method: "post",
      action: "post",
      operationId: `create${G}${V}${ns}${r.kind}`,
      description: `Create a ${r.kind}.`,
      params: WRITE_PARAMS,
      body: { schema: kind, required: true },
      responses: objectResponses(kind, ["200", "201", "202"]),
      produces: "object",
    });
  }
  if (verbs.has("deletecollection")) {
    table.add(collection, scopeParams, {
      ...base,
      method: "delete",
      action: "deletecollection",
      operationId: `delete${G}${V}Collection${ns}${r.kind}`,
      description: `Delete a collection of ${r.kind} objects.`,
      params: DELETE_COLLECTION_PARAMS,
      body: { schema: DeleteOptions, required: false },
      responses: objectResponses(Status, ["200"]),
      produces: "object",
    });
  }
  if (verbs.has("get")) {
    table.add(item, itemParams, {
      ...base,
      method: "get",
      action: "get",
      operationId: `read${G}${V}${ns}${r.kind}`,
      description: `Read the specified ${r.kind}.`,
      params: [],
      responses: objectResponses(kind, ["200"]),
      produces: "object",
    });
  }
  if (verbs.has("update")) {
    table.add(item, itemParams, {
      ...base,
      method: "put",
      action: "put",
      operationId: `replace${G}${V}${ns}${r.kind}`,
      description: `Replace the specified ${r.kind}.`,
      params: WRITE_PARAMS,
      body: { schema: kind, required: true },
      responses: objectResponses(kind, ["200", "201"]),
      produces: "object",
    });
  }
  if (verbs.has("patch")) {
    table.add(item, itemParams, {
      ...base,
      method: "patch",
      action: "patch",
      operationId: `patch${G}${V}${ns}${r.kind}`,
      description: `Partially update the specified ${r.kind}.`,
      params: PATCH_PARAMS,
      body: { schema: Patch, patch: true, required: true },
      responses: objectResponses(kind, ["200", "201"]),
      produces: "object",
    });
  }
  if (verbs.has("delete")) {
    table.add(item, itemParams, {
      ...base,
      method: "delete",
      action: "delete",
      operationId: `delete${G}${V}${ns}${r.kind}`,
      description: `Delete the specified ${r.kind}.`,
      params: DELETE_PARAMS,
      body: { schema: DeleteOptions, required: false },
      responses: objectResponses(Status, ["200", "202"]),
      produces: "object",
    });
  }
  if (verbs.has("watch")) {
    const watchPrefix = `${prefix}/watch${scope}/${r.resource}`;
    table.add(`${watchPrefix}/{name}`, itemParams, {
      ...base,
      method: "get",
      action: "watch",
      operationId: `watch${G}${V}${ns}${r.kind}`,
      description: `Watch changes to a ${r.kind}. Deprecated: use the watch parameter of a list.`,
      params: LIST_PARAMS,
      responses: objectResponses(WatchEvent, ["200"]),
      produces: "watch",
    });
    table.add(watchPrefix, scopeParams, {
      ...base,
      method: "get",
      action: "watchlist",
      operationId: `watch${G}${V}${ns}${r.kind}List`,
      description:
        `Watch changes to ${r.kind} objects. Deprecated: use the watch parameter of a list.`,
      params: LIST_PARAMS,
      responses: objectResponses(WatchEvent, ["200"]),
      produces: "watch",
    });
    if (r.namespaced) {
      table.add(`${prefix}/watch/${r.resource}`, [P.pretty], {
        ...base,
        method: "get",
        action: "watchlist",
        operationId: `watch${G}${V}${r.kind}ListForAllNamespaces`,
        description:
          `Watch changes to ${r.kind} objects in all namespaces. Deprecated: use the watch parameter of a list.`,
        params: LIST_PARAMS,
        responses: objectResponses(WatchEvent, ["200"]),
        produces: "watch",
      });
    }
  }

  for (const sub of r.subresources) {
    const path = `${item}/${sub.name}`;
    const Sub = capitalize(sub.name);
    const subBase = { tag, gvk: sub.gvk };
    const subVerbs = new Set(sub.verbs);
    const schema = sub.schema;
    if (!schema) {
      if (sub.name === "log") {
        if (subVerbs.has("get")) {
          table.add(path, itemParams, {
            ...subBase,
            method: "get",
            action: "get",
            operationId: `read${G}${V}${ns}${r.kind}${Sub}`,
            description: `Read the ${sub.name} of the specified ${r.kind}.`,
            params: [],
            responses: [{ code: "200", description: OK }],
            produces: "text",
          });
        }
        continue;
      }
      for (const [verb, method] of [["get", "get"], ["create", "post"]] as const) {
        if (!subVerbs.has(verb)) continue;
        table.add(path, itemParams, {
          ...subBase,
          method,
          action: "connect",
          operationId: `connect${G}${V}${capitalize(method)}${ns}${r.kind}${Sub}`,
          description: `Connect ${method.toUpperCase()} requests to ${sub.name} of ${r.kind}.`,
          params: [],
          responses: [{ code: "200", description: OK }],
          produces: "text",
        });
      }
      continue;
    }
    if (subVerbs.has("get")) {
      table.add(path, itemParams, {
        ...subBase,
        method: "get",
        action: "get",
        operationId: `read${G}${V}${ns}${r.kind}${Sub}`,
        description: `Read the ${sub.name} of the specified ${r.kind}.`,
        params: [],
        responses: objectResponses(schema, ["200"]),
        produces: "object",
      });
    }
    if (subVerbs.has("create")) {
      table.add(path, itemParams, {
        ...subBase,
        method: "post",
        action: "post",
        operationId: `create${G}${V}${ns}${r.kind}${Sub}`,
        description: `Create the ${sub.name} of a ${r.kind}.`,
        params: WRITE_PARAMS,
        body: { schema, required: true },
        responses: objectResponses(schema, ["200", "201", "202"]),
        produces: "object",
      });
    }
    if (subVerbs.has("update")) {
      table.add(path, itemParams, {
        ...subBase,
        method: "put",
        action: "put",
        operationId: `replace${G}${V}${ns}${r.kind}${Sub}`,
        description: `Replace the ${sub.name} of the specified ${r.kind}.`,
        params: WRITE_PARAMS,
        body: { schema, required: true },
        responses: objectResponses(schema, ["200", "201"]),
        produces: "object",
      });
    }
    if (subVerbs.has("patch")) {
      table.add(path, itemParams, {
        ...subBase,
        method: "patch",
        action: "patch",
        operationId: `patch${G}${V}${ns}${r.kind}${Sub}`,
        description: `Partially update the ${sub.name} of the specified ${r.kind}.`,
        params: PATCH_PARAMS,
        body: { schema: Patch, patch: true, required: true },
        responses: objectResponses(schema, ["200", "201"]),
        produces: "object",
      });
    }
  }
}

/** The paths of `resources`, sorted. */
export function pathsOf(resources: readonly OpenApiResource[]): PathSpec[] {
  const table = new PathTable();
  for (const r of resources) addResource(table, r);
  return table.paths();
}

/** The content types of a response body. */
export function responseTypes(produces: Produces): string[] {
  switch (produces) {
    case "object":
      return ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];
    case "list":
      return [
        "application/json",
        "application/yaml",
        "application/vnd.kubernetes.protobuf",
        "application/json;stream=watch",
        "application/vnd.kubernetes.protobuf;stream=watch",
      ];
    case "watch":
      return [
        "application/json",
        "application/yaml",
        "application/vnd.kubernetes.protobuf",
        "application/json;stream=watch",
        "application/vnd.kubernetes.protobuf;stream=watch",
      ];
    case "text":
      return ["*/*"];
  }
}

/** The content types of a PATCH body. */
export const PATCH_TYPES = [
  "application/apply-patch+yaml",
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
] as const;

/** The group-versions of `resources`, in first-seen order. */
export function groupVersionsOf(
  resources: readonly OpenApiResource[],
): { readonly group: string; readonly version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of resources) {
    const key = groupVersionKey(r.group, r.version);
    if (!seen.has(key)) seen.set(key, { group: r.group, version: r.version });
  }
  return [...seen.values()];
}
