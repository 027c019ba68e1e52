/**
 * The RBAC authorizer, as kube-apiserver's: a request is allowed when any rule reachable from
 * a binding of the user allows it — ClusterRoleBindings everywhere, plus the RoleBindings of
 * the request's namespace (a RoleBinding may grant a ClusterRole within its namespace). There
 * are no deny rules: otherwise it has no opinion, and a role a binding names that does not
 * exist is skipped and reported in the reason (`RBAC: clusterrole.rbac.authorization.k8s.io
 * "x" not found`). It reads the live object views of the four RBAC resources, with the bindings
 * indexed by subject, so a request looks at its user's bindings only.
 *
 * It also lists a user's rules in a namespace, for SelfSubjectRulesReview and for escalation
 * checks.
 *
 * @example Authorize through a ClusterRoleBinding
 * ```ts ignore
 * const rbac = new RbacAuthorizer({ views });
 * await rbac.start();
 * const res = rbac.authorize(attrs);
 * // { decision: "allow", reason: 'RBAC: allowed by ClusterRoleBinding "v" of ClusterRole "view" to User "bob"' }
 * ```
 *
 * @module
 */
import type { RequestUser } from "../handlers/context.ts";
import type { ObjectView } from "../store/object_view.ts";
import type { ObjectViews } from "../store/object_views.ts";
import type { NonResourceRule, ResourceRule } from "../types/authorization_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  RoleRef,
  Subject,
} from "../types/rbac_v1.ts";
import { goQuote } from "../validation/go_format.ts";
import type { AuthorizationAttributes, AuthorizationResult, Authorizer } from "./authorizer.ts";
import {
  describeSubject,
  firstMatchingSubject,
  parseServiceAccountUsername,
  ruleAllows,
} from "./rbac_rules.ts";

/** The storage prefixes of the RBAC resources (`storagePrefixOf` of their definitions). */
export const RBAC_PREFIXES = {
  clusterRoles: "/registry/clusterroles/",
  clusterRoleBindings: "/registry/clusterrolebindings/",
  roles: "/registry/roles/",
  roleBindings: "/registry/rolebindings/",
} as const;

/** The index of bindings by subject, on the two binding views. */
export const SUBJECT_INDEX = "rbac-subject";

/** A role a binding names that cannot be used (missing, or of an unknown kind). */
export class RoleRefError extends Error {
  /** `Role`, `ClusterRole`, or the unsupported kind. */
  readonly kind: string;
  readonly roleName: string;
  /** Whether the role is missing (rather than of an unsupported kind). */
  readonly notFound: boolean;

  constructor(ref: { readonly kind: string; readonly name: string }) {
    const known = ref.kind === "Role" || ref.kind === "ClusterRole";
    super(
      known
        ? `${ref.kind.toLowerCase()}.rbac.authorization.k8s.io ${goQuote(ref.name)} not found`
        : `unsupported role reference kind: ${goQuote(ref.kind)}`,
    );
    this.name = "RoleRefError";
    this.kind = ref.kind;
    this.roleName = ref.name;
    this.notFound = known;
  }

  /**
   * The message as the API's storage reports the missing role (`clusterroles.rbac.authorization.k8s.io
   * "x" not found`), which escalation checks show.
   */
  get registryMessage(): string {
    if (!this.notFound) return this.message;
    return `${this.kind.toLowerCase()}s.rbac.authorization.k8s.io ${
      goQuote(this.roleName)
    } not found`;
  }
}

/** A user's rules in a namespace (upstream `RulesFor`). */
export interface PolicyRules {
  readonly rules: readonly PolicyRule[];
  /** Bindings whose role could not be resolved; the rules are those that could. */
  readonly errors: readonly RoleRefError[];
}

/** A user's rules split as SelfSubjectRulesReview reports them. */
export interface RulesResult {
  readonly resourceRules: readonly ResourceRule[];
  readonly nonResourceRules: readonly NonResourceRule[];
  /** The lists may miss rules the resolver cannot enumerate. */
  readonly incomplete: boolean;
  /** Errors met while resolving (each one message). */
  readonly errors: readonly string[];
}

/**
 * What one rule resolver answers: any part may be left out (the Node authorizer only says a
 * node's rules are incomplete, with an `evaluationError`).
 */
export interface RuleResolverAnswer {
  readonly resourceRules?: readonly ResourceRule[];
  readonly nonResourceRules?: readonly NonResourceRule[];
  readonly incomplete?: boolean;
  /** Errors met while resolving (each one message). */
  readonly errors?: readonly string[];
  /** One more error, as a single message. */
  readonly evaluationError?: string;
}

/**
 * Lists what a user may do in a namespace (upstream `authorizer.RuleResolver`); null when it
 * has nothing to say about the user.
 */
export interface RuleResolver {
  rulesFor(
    user: RequestUser,
    namespace: string,
  ): RuleResolverAnswer | null | Promise<RuleResolverAnswer | null>;
}

/** Options of {@linkcode RbacAuthorizer}. */
export interface RbacAuthorizerOptions {
  /** The server's shared views; the authorizer adds its indexes to the binding views. */
  readonly views: ObjectViews;
}

/** apimachinery's aggregate error text: one message as is, several deduplicated in brackets. */
export function aggregateMessage(messages: readonly string[]): string {
  const seen = [...new Set(messages)];
  if (seen.length === 1) return seen[0]!;
  return seen.length === 0 ? "" : `[${seen.join(", ")}]`;
}

function userKey(name: string): string {
  return `u:${name}`;
}

function groupKey(name: string): string {
  return `g:${name}`;
}

function serviceAccountKey(namespace: string, name: string): string {
  return `s:${namespace}/${name}`;
}

function subjectKeys(subjects: readonly Subject[] | undefined, bindingNamespace: string): string[] {
  const keys: string[] = [];
  for (const s of subjects ?? []) {
    switch (s.kind) {
      case "User":
        keys.push(userKey(s.name));
        break;
      case "Group":
        keys.push(groupKey(s.name));
        break;
      case "ServiceAccount": {
        const ns = s.namespace || bindingNamespace;
        if (ns) keys.push(serviceAccountKey(ns, s.name));
        break;
      }
    }
  }
  return keys;
}

/** Index of ClusterRoleBindings: one key per subject. */
function clusterBindingSubjects(obj: KubeObject): string[] {
  return subjectKeys((obj as ClusterRoleBinding).subjects, "");
}

/** Index of RoleBindings: one key per subject, scoped by the binding's namespace. */
function bindingSubjects(obj: KubeObject): string[] {
  const ns = obj.metadata?.namespace ?? "";
  return subjectKeys((obj as RoleBinding).subjects, ns).map((k) => `${ns}|${k}`);
}

/** The index keys a user's bindings are found under. */
function keysOf(user: RequestUser): string[] {
  const keys = [userKey(user.username)];
  for (const g of user.groups) keys.push(groupKey(g));
  const sa = parseServiceAccountUsername(user.username);
  if (sa) keys.push(serviceAccountKey(sa.namespace, sa.name));
  return keys;
}

function byName(a: KubeObject, b: KubeObject): number {
  const x = a.metadata?.name ?? "";
  const y = b.metadata?.name ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Visits one rule with the binding and subject it came through; false stops the visit. */
type Visitor = (
  source: { readonly binding: RoleBinding | ClusterRoleBinding; readonly subject: Subject },
  rule: PolicyRule,
) => boolean;

/** RBAC over the live views of roles and bindings. */
export class RbacAuthorizer implements Authorizer, RuleResolver {
  readonly #views: ObjectViews;
  readonly #clusterRoles: ObjectView;
  readonly #clusterBindings: ObjectView;
  readonly #roles: ObjectView;
  readonly #bindings: ObjectView;

  constructor(options: RbacAuthorizerOptions) {
    this.#views = options.views;
    this.#clusterRoles = options.views.get(RBAC_PREFIXES.clusterRoles);
    this.#clusterBindings = options.views.get(RBAC_PREFIXES.clusterRoleBindings);
    this.#roles = options.views.get(RBAC_PREFIXES.roles);
    this.#bindings = options.views.get(RBAC_PREFIXES.roleBindings);
    this.#clusterBindings.addIndex(SUBJECT_INDEX, clusterBindingSubjects);
    this.#bindings.addIndex(SUBJECT_INDEX, bindingSubjects);
  }

  /** Starts the four views; resolves when all have their first list (serve after this). */
  async start(): Promise<void> {
    await Promise.all(Object.values(RBAC_PREFIXES).map((p) => this.#views.started(p)));
  }

  /** The rules of the role `ref` names, for a binding in `namespace` ("" for cluster bindings). */
  roleRefRules(ref: RoleRef, namespace: string): readonly PolicyRule[] {
    let role: KubeObject | undefined;
    if (ref.kind === "ClusterRole") role = this.#clusterRoles.getByName("", ref.name);
    else if (ref.kind === "Role") {
      role = namespace ? this.#roles.getByName(namespace, ref.name) : undefined;
    }
    if (role === undefined) throw new RoleRefError(ref);
    return (role as Role | ClusterRole).rules ?? [];
  }

  #rulesOrError(ref: RoleRef, namespace: string): readonly PolicyRule[] | RoleRefError {
    try {
      return this.roleRefRules(ref, namespace);
    } catch (err) {
      if (err instanceof RoleRefError) return err;
      throw err;
    }
  }

  #candidates(view: ObjectView, keys: readonly string[], prefix: string): KubeObject[] {
    if (keys.length === 0) return [];
    const found: KubeObject[] = [];
    let seen: Set<KubeObject> | null = null;
    for (const key of keys) {
      const hits = view.byIndex(SUBJECT_INDEX, prefix ? `${prefix}|${key}` : key);
      for (const b of hits) {
        if (found.length > 0) {
          seen ??= new Set(found);
          if (seen.has(b)) continue;
          seen.add(b);
        }
        found.push(b);
      }
    }
    if (found.length > 1) found.sort(byName);
    return found;
  }

  /**
   * Calls `visit` with each rule that applies to `user` in `namespace` (cluster bindings
   * first), until it returns false; returns the resolution errors met on the way.
   */
  #visit(user: RequestUser, namespace: string, visit: Visitor): RoleRefError[] {
    const errors: RoleRefError[] = [];
    const keys = keysOf(user);
    const scopes: [ObjectView, string][] = [[this.#clusterBindings, ""]];
    if (namespace) scopes.push([this.#bindings, namespace]);
    for (const [view, ns] of scopes) {
      for (const obj of this.#candidates(view, keys, ns)) {
        const binding = obj as RoleBinding;
        const i = firstMatchingSubject(user, { subjects: binding.subjects, namespace: ns });
        if (i < 0) continue;
        const rules = this.#rulesOrError(binding.roleRef, ns);
        if (rules instanceof RoleRefError) {
          errors.push(rules);
          continue;
        }
        const source = { binding, subject: binding.subjects![i]! };
        for (const rule of rules) if (!visit(source, rule)) return errors;
      }
    }
    return errors;
  }

  /** Allows what a rule of the user's bindings allows; no opinion otherwise. */
  authorize(attrs: AuthorizationAttributes): AuthorizationResult {
    let reason = "";
    const errors = this.#visit(attrs.user, attrs.namespace, (source, rule) => {
      if (!ruleAllows(attrs, rule)) return true;
      reason = `RBAC: allowed by ${describeSource(source)}`;
      return false;
    });
    if (reason) return { decision: "allow", reason };
    if (errors.length === 0) return { decision: "noOpinion", reason: "" };
    return {
      decision: "noOpinion",
      reason: `RBAC: ${aggregateMessage(errors.map((e) => e.message))}`,
    };
  }

  /** Every rule that applies to `user` in `namespace`, and the bindings that failed. */
  policyRulesFor(user: RequestUser, namespace: string): PolicyRules {
    const rules: PolicyRule[] = [];
    const errors = this.#visit(user, namespace, (_source, rule) => {
      rules.push(rule);
      return true;
    });
    return { rules, errors };
  }

  /** The user's rules as SelfSubjectRulesReview lists them. */
  rulesFor(user: RequestUser, namespace: string): RulesResult {
    const { rules, errors } = this.policyRulesFor(user, namespace);
    const resourceRules: ResourceRule[] = [];
    const nonResourceRules: NonResourceRule[] = [];
    for (const r of rules) {
      if ((r.resources ?? []).length > 0) {
        resourceRules.push({
          verbs: [...r.verbs],
          ...(r.apiGroups?.length ? { apiGroups: [...r.apiGroups] } : {}),
          resources: [...r.resources!],
          ...(r.resourceNames?.length ? { resourceNames: [...r.resourceNames] } : {}),
        });
      }
      if ((r.nonResourceURLs ?? []).length > 0) {
        nonResourceRules.push({ verbs: [...r.verbs], nonResourceURLs: [...r.nonResourceURLs!] });
      }
    }
    return {
      resourceRules,
      nonResourceRules,
      incomplete: false,
      errors: errors.map((e) => e.message),
    };
  }
}

/** Where a rule came from, as upstream's "allowed by" reason names it. */
function describeSource(
  source: { readonly binding: RoleBinding | ClusterRoleBinding; readonly subject: Subject },
): string {
  const b = source.binding;
  const ns = b.metadata?.namespace ?? "";
  const ref = b.roleRef;
  if (ns) {
    return `RoleBinding ${goQuote(`${b.metadata?.name ?? ""}/${ns}`)} of ${ref.kind} ${
      goQuote(ref.name)
    } to ${describeSubject(source.subject, ns)}`;
  }
  return `ClusterRoleBinding ${goQuote(b.metadata?.name ?? "")} of ${ref.kind} ${
    goQuote(ref.name)
  } to ${describeSubject(source.subject, "")}`;
}
