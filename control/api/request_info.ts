/**
 * Reads what a request is about from its method, path and query, as kube-apiserver's
 * `RequestInfoFactory` does: the API group and version, namespace, resource, name, subresource
 * and the Kubernetes verb (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
 * `deletecollection`). Authorization and routing both rely on it.
 *
 * @example A namespaced get
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestInfo } from "./request_info.ts";
 *
 * const info = requestInfo("GET", new URL("https://h/apis/apps/v1/namespaces/default/deployments/web"));
 * assert.equal(info.isResourceRequest && info.verb, "get");
 * ```
 *
 * @module
 */

/** A request for something other than an API resource (`/version`, `/api`, `/openapi/v2`). */
export interface NonResourceRequestInfo {
  readonly isResourceRequest: false;
  readonly path: string;
  /** The lowercased HTTP method (`get`, `post`, …), as RBAC's non-resource verbs are. */
  readonly verb: string;
}

/** A request for an API resource. */
export interface ResourceRequestInfo {
  readonly isResourceRequest: true;
  readonly path: string;
  readonly verb: string;
  /** `"api"` for the core group, `"apis"` otherwise. */
  readonly apiPrefix: "api" | "apis";
  readonly apiGroup: string;
  readonly apiVersion: string;
  /** Empty for cluster-scoped resources and for lists across all namespaces. */
  readonly namespace: string;
  readonly resource: string;
  /** Empty for collections. */
  readonly name: string;
  /** `status`, `scale`, `log`, …; empty for the main resource. */
  readonly subresource: string;
  /** Path segments after the subresource (`pods/proxy/<path>`). */
  readonly rest: readonly string[];
}

/** What {@linkcode requestInfo} returns. */
export type RequestInfo = NonResourceRequestInfo | ResourceRequestInfo;

/** Subresources of a namespace that are not namespaced resources (`/namespaces/x/status`). */
const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Whether `?watch=` asks for a watch (`true` or `1`, as Kubernetes parses booleans). */
export function isWatchParam(value: string | null): boolean {
  return value === "true" || value === "1" || value === "True" || value === "TRUE" ||
    value === "t" || value === "T";
}

/** Reads the request info of `method` on `url`. */
export function requestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const lower = method.toLowerCase();
  const nonResource: NonResourceRequestInfo = { isResourceRequest: false, path, verb: lower };
  const parts = path.split("/").filter((p) => p !== "").map(decodeSegment);
  const prefix = parts[0];
  if (prefix !== "api" && prefix !== "apis") return nonResource;
  let rest = parts.slice(1);
  let apiGroup = "";
  if (prefix === "apis") {
    if (rest.length < 3) return nonResource; // /apis, /apis/<g>, /apis/<g>/<v>: discovery
    apiGroup = rest[0]!;
    rest = rest.slice(1);
  } else if (rest.length < 2) {
    return nonResource; // /api, /api/v1: discovery
  }
  const apiVersion = rest[0]!;
  rest = rest.slice(1);

  let verb = "";
  switch (lower) {
    case "post":
      verb = "create";
      break;
    case "get":
    case "head":
      verb = "get";
      break;
    case "put":
      verb = "update";
      break;
    case "patch":
      verb = "patch";
      break;
    case "delete":
      verb = "delete";
      break;
    default:
      verb = lower;
  }
  // Deprecated watch paths: /api/v1/watch/namespaces/x/pods.
  let legacyWatch = false;
  if (rest[0] === "watch" && rest.length >= 2) {
    legacyWatch = true;
    verb = "watch";
    rest = rest.slice(1);
  }

  let namespace = "";
  if (rest[0] === "namespaces") {
    if (rest.length > 1) {
      namespace = rest[1]!;
      if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
    }
  }
  const resource = rest[0] ?? "";
  const name = rest[1] ?? "";
  const subresource = rest[2] ?? "";
  if (resource === "namespaces" && rest[1] !== undefined) {
    // The namespace itself: /api/v1/namespaces/x[/status|finalize].
    namespace = rest[1];
  }

  if (verb === "get" && name === "") {
    verb = isWatchParam(url.searchParams.get("watch")) ? "watch" : "list";
  } else if (verb === "get" && legacyWatch) {
    verb = "watch";
  } else if (verb === "delete" && name === "") {
    verb = "deletecollection";
  }
  if (legacyWatch && verb !== "watch") verb = "watch";

  return {
    isResourceRequest: true,
    path,
    verb,
    apiPrefix: prefix,
    apiGroup,
    apiVersion,
    namespace,
    resource,
    name,
    subresource,
    rest: rest.slice(3),
  };
}
