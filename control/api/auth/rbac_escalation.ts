/**
 * RBAC escalation prevention, as upstream's policy-based RBAC storage does it
 * (`pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/policybased`): a user
 * may create or update a Role or ClusterRole only with every permission it grants (or the
 * `escalate` verb on it), and a RoleBinding or ClusterRoleBinding only with every
 * permission of the role it references in the binding's namespace (or the `bind` verb on that
 * role). Setting or changing a ClusterRole's aggregation rule needs full authority (`*` on
 * everything). Members of `system:masters` pass; so do updates that only touch what the
 * garbage collector changes (owner references, finalizers). A refusal is upstream's 403:
 *
 * ```text
 * clusterrolebindings.rbac.authorization.k8s.io "b" is forbidden: user "bob" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:
 * {APIGroups:["*"], Resources:["*"], Verbs:["*"]}
 * ```
 *
 * @example In the admission chain, after the authorizer exists
 * ```ts ignore
 * new AdmissionChain([..., new RbacEscalation({ authorizer, rbac })]);
 * ```
 *
 * @module
 */
import type { AdmissionAttributes, AdmissionPlugin } from "../admission/admission.ts";
import { ApiError } from "../errors.ts";
import type { RequestUser } from "../handlers/context.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { ClusterRole, PolicyRule, RoleBinding, RoleRef } from "../types/rbac_v1.ts";
import { RBAC_GROUP } from "../types/rbac_v1.ts";
import { jsonEqual } from "../util/json_value.ts";
import { type Authorizer, MASTERS_GROUP } from "./authorizer.ts";
import { type RbacAuthorizer, RoleRefError } from "./rbac_authorizer.ts";
import { compactRules, compactString, covers, goQuotedList } from "./rbac_rules.ts";

/** Options of {@linkcode RbacEscalation}. */
export interface RbacEscalationOptions {
  /** The server's authorizer, asked about `escalate` and `bind`. */
  readonly authorizer: Authorizer;
  /** Resolves the user's own rules and the rules a binding's role grants. */
  readonly rbac: RbacAuthorizer;
}

/** Everything: what setting an aggregation rule needs. */
const FULL_AUTHORITY: readonly PolicyRule[] = [
  { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
  { verbs: ["*"], nonResourceURLs: ["*"] },
];

const ROLE_RESOURCES = new Set(["roles", "clusterroles"]);
const BINDING_RESOURCES = new Set(["rolebindings", "clusterrolebindings"]);

/**
 * Whether `obj` differs from `old` only in what the garbage collector changes (upstream
 * `IsOnlyMutatingGCFields`: owner references, finalizers, selfLink). Managed fields are
 * ignored too: they grant nothing, and field managers rewrite them on every write.
 */
export function onlyGcFieldsChanged(obj: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { ownerReferences: _o, finalizers: _f, selfLink: _s, managedFields: _m, ...meta } =
      (o.metadata ?? {}) as Record<string, unknown>;
    return { ...o, metadata: meta };
  };
  return jsonEqual(strip(obj), strip(old));
}

/** The escalation message of upstream's `ConfirmNoEscalation`. */
function escalationMessage(
  user: { readonly username: string; readonly groups: readonly string[] },
  options: { readonly missing: readonly PolicyRule[]; readonly errors: readonly string[] },
): string {
  const lines = [...new Set(compactRules(options.missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(user.username)} (groups=${
    goQuotedList(user.groups)
  }) is attempting to grant RBAC permissions not currently held:\n${lines.join("\n")}`;
  if (options.errors.length > 0) msg += `; resolution errors: [${options.errors.join(" ")}]`;
  return msg;
}

/** Refuses RBAC writes that would grant permissions the user does not hold. */
export class RbacEscalation implements AdmissionPlugin {
  readonly name = "RBACEscalation";
  readonly #authorizer: Authorizer;
  readonly #rbac: RbacAuthorizer;

  constructor(options: RbacEscalationOptions) {
    this.#authorizer = options.authorizer;
    this.#rbac = options.rbac;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.def.group !== RBAC_GROUP || a.subresource !== "") return;
    if (a.operation !== "CREATE" && a.operation !== "UPDATE") return;
    const isRole = ROLE_RESOURCES.has(a.def.resource);
    if (!isRole && !BINDING_RESOURCES.has(a.def.resource)) return;
    const obj = a.object;
    if (obj === undefined) return;
    const user: RequestUser = a.user ?? { username: a.username, groups: a.groups };
    if (user.groups.includes(MASTERS_GROUP)) return;
    const namespace = a.def.namespaced ? a.namespace : "";
    if (isRole && await this.#allowed(user, { verb: "escalate", a, namespace })) return;
    if (a.operation === "UPDATE" && a.oldObject && onlyGcFieldsChanged(obj, a.oldObject)) return;
    const name = obj.metadata?.name ?? a.name;
    const gr = { group: RBAC_GROUP, resource: a.def.resource };
    if (isRole) {
      this.#confirm(user, { namespace, gr, name, rules: (obj as ClusterRole).rules ?? [] });
      const hasAggregation = (r: KubeObject | undefined) =>
        ((r as ClusterRole | undefined)?.aggregationRule?.clusterRoleSelectors ?? []).length > 0;
      if (
        a.def.resource === "clusterroles" &&
        (hasAggregation(obj) || (a.operation === "UPDATE" && hasAggregation(a.oldObject)))
      ) {
        const { rules } = this.#rbac.policyRulesFor(user, namespace);
        if (!covers(rules, FULL_AUTHORITY).covered) {
          throw ApiError.forbidden(gr, {
            name,
            detail: "must have cluster-admin privileges to use the aggregationRule",
          });
        }
      }
      return;
    }
    const ref = (obj as RoleBinding).roleRef;
    if (await this.#bindAllowed(user, { ref, namespace })) return;
    let rules: readonly PolicyRule[];
    try {
      rules = this.#rbac.roleRefRules(ref, namespace);
    } catch (err) {
      if (err instanceof RoleRefError && err.notFound) {
        throw ApiError.notFound(
          { group: RBAC_GROUP, resource: `${ref.kind.toLowerCase()}s` },
          ref.name,
        );
      }
      throw ApiError.internal(err);
    }
    this.#confirm(user, { namespace, gr, name, rules });
  }

  /** Whether the user may `escalate` the role being written (upstream `RoleEscalationAuthorized`). */
  async #allowed(
    user: RequestUser,
    o: { verb: string; a: AdmissionAttributes; namespace: string },
  ): Promise<boolean> {
    const res = await this.#authorizer.authorize({
      user,
      verb: o.verb,
      resourceRequest: true,
      path: "",
      apiGroup: RBAC_GROUP,
      apiVersion: "*",
      resource: o.a.def.resource,
      subresource: "",
      namespace: o.namespace,
      // The request's name: none for a create (a POST to the collection).
      name: o.a.operation === "CREATE" ? "" : o.a.name,
    });
    return res.decision === "allow";
  }

  /** Whether the user may `bind` the referenced role (upstream `BindingAuthorized`). */
  async #bindAllowed(user: RequestUser, o: { ref: RoleRef; namespace: string }): Promise<boolean> {
    const resource = o.ref.kind === "ClusterRole"
      ? "clusterroles"
      : o.ref.kind === "Role"
      ? "roles"
      : "";
    if (!resource) return false;
    const res = await this.#authorizer.authorize({
      user,
      verb: "bind",
      resourceRequest: true,
      path: "",
      apiGroup: o.ref.apiGroup ?? "",
      apiVersion: "",
      resource,
      subresource: "",
      namespace: o.namespace,
      name: o.ref.name,
    });
    return res.decision === "allow";
  }

  /** Throws upstream's 403 unless the user's rules in `namespace` cover `rules`. */
  #confirm(
    user: RequestUser,
    o: {
      namespace: string;
      gr: { group: string; resource: string };
      name: string;
      rules: readonly PolicyRule[];
    },
  ): void {
    const own = this.#rbac.policyRulesFor(user, o.namespace);
    const { covered, missing } = covers(own.rules, o.rules);
    if (covered) return;
    throw ApiError.forbidden(o.gr, {
      name: o.name,
      detail: escalationMessage(user, {
        missing,
        errors: own.errors.map((e) => e.registryMessage),
      }),
    });
  }
}
