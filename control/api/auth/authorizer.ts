/**
 * Authorization: every authenticated request is checked against the authorizers in order
 * (kube-apiserver's union authorizer: the Node authorizer, then RBAC); the first that allows
 * or denies decides, and a request no authorizer allows is refused with kube-apiserver's 403
 * message (`deployments.apps "web" is forbidden: User "bob" cannot get resource
 * "deployments" in API group "apps" in the namespace "default"`). Members of
 * `system:masters` are allowed everything, as upstream's privileged-group authorizer does.
 *
 * @example Build the attributes of a request and ask
 * ```ts
 * import assert from "node:assert/strict";
 * import { AlwaysAllow, UnionAuthorizer } from "./authorizer.ts";
 *
 * const authz = new UnionAuthorizer([new AlwaysAllow()]);
 * const res = await authz.authorize({
 *   user: { username: "bob", groups: ["system:authenticated"] },
 *   verb: "get", resourceRequest: true, path: "/api/v1/namespaces/default/pods/p",
 *   apiGroup: "", apiVersion: "v1", resource: "pods", subresource: "", namespace: "default", name: "p",
 * });
 * assert.equal(res.decision, "allow");
 * ```
 *
 * @module
 */
import type { RequestUser } from "../handlers/context.ts";

/** What is being asked for (upstream `authorizer.Attributes`). */
export interface AuthorizationAttributes {
  readonly user: RequestUser;
  /** The Kubernetes verb (`get`, `list`, …) or, for non-resource requests, the lowercased HTTP method. */
  readonly verb: string;
  readonly resourceRequest: boolean;
  /** The URL path (non-resource requests are authorized by it). */
  readonly path: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
  /**
   * The request's `fieldSelector` and `labelSelector` query parameters as sent ("" when
   * absent; always "" for non-resource requests): the Node authorizer lets a node list and watch
   * only its own pods (`spec.nodeName=<node>`), as upstream's AuthorizeNodeWithSelectors.
   */
  readonly fieldSelector?: string;
  readonly labelSelector?: string;
}

/** An authorizer's answer. */
export type Decision = "allow" | "deny" | "noOpinion";

/** An authorizer's answer with its reason (shown in reviews and 403 messages). */
export interface AuthorizationResult {
  readonly decision: Decision;
  readonly reason: string;
}

/** One authorizer. */
export interface Authorizer {
  authorize(attrs: AuthorizationAttributes): Promise<AuthorizationResult> | AuthorizationResult;
}

/** The group whose members bypass authorization. */
export const MASTERS_GROUP = "system:masters";

/** Allows everything (tests, and the in-process server identity). */
export class AlwaysAllow implements Authorizer {
  authorize(): AuthorizationResult {
    return { decision: "allow", reason: "" };
  }
}

/** Asks `authorizers` in order; `system:masters` is allowed without asking. */
export class UnionAuthorizer implements Authorizer {
  readonly #list: readonly Authorizer[];

  constructor(authorizers: readonly Authorizer[]) {
    this.#list = authorizers;
  }

  async authorize(attrs: AuthorizationAttributes): Promise<AuthorizationResult> {
    if (attrs.user.groups.includes(MASTERS_GROUP)) return { decision: "allow", reason: "" };
    const reasons: string[] = [];
    for (const a of this.#list) {
      const res = await a.authorize(attrs);
      if (res.decision !== "noOpinion") return res;
      if (res.reason) reasons.push(res.reason);
    }
    return { decision: "noOpinion", reason: reasons.join(", ") };
  }
}

/** `resource` or `resource/subresource`, with the group: `deployments.apps`, `pods/log`. */
function resourceText(a: AuthorizationAttributes): string {
  return a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
}

/**
 * kube-apiserver's 403 message for a refused request
 * (`responsewriters.forbiddenMessage`), with the authorizers' reason appended when they gave one.
 */
export function forbiddenMessage(a: AuthorizationAttributes, reason = ""): string {
  const who = `User ${JSON.stringify(a.user.username)}`;
  let msg: string;
  if (!a.resourceRequest) {
    msg = `forbidden: ${who} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  } else {
    const resource = resourceText(a);
    // The Forbidden error names the group and resource without the subresource.
    const gr = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
    const subject = a.name ? `${gr} ${JSON.stringify(a.name)}` : gr;
    const where = a.namespace
      ? `in the namespace ${JSON.stringify(a.namespace)}`
      : "at the cluster scope";
    msg = `${subject} is forbidden: ${who} cannot ${a.verb} resource ${
      JSON.stringify(resource)
    } in API group ${JSON.stringify(a.apiGroup)} ${where}`;
  }
  return reason ? `${msg}: ${reason}` : msg;
}
