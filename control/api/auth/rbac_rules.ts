/**
 * RBAC rules as Kubernetes evaluates them: whether a rule allows a request (verbs, API groups,
 * resources with `res/sub` and `*\/sub`, resource names, non-resource URLs with a trailing
 * `*`), whether a binding's subject is a given user (User, Group, ServiceAccount by namespace
 * and name), and whether one set of rules covers another — what escalation prevention asks
 * before letting a user grant permissions. Facts from upstream `pkg/apis/rbac/v1`
 * (evaluation helpers), `plugin/pkg/auth/authorizer/rbac` and
 * `component-helpers/auth/rbac/validation` (the policy comparator).
 *
 * @example A rule for pods does not allow their logs
 * ```ts
 * import assert from "node:assert/strict";
 * import { ruleAllows } from "./rbac_rules.ts";
 *
 * const rule = { verbs: ["get"], apiGroups: [""], resources: ["pods"] };
 * const request = { verb: "get", resourceRequest: true, path: "", apiGroup: "", resource: "pods", subresource: "", name: "web" };
 * assert.equal(ruleAllows(request, rule), true);
 * assert.equal(ruleAllows({ ...request, subresource: "log" }, rule), false);
 * ```
 *
 * @module
 */
import type { RequestUser } from "../handlers/context.ts";
import type { PolicyRule, Subject } from "../types/rbac_v1.ts";
import { goQuote } from "../validation/go_format.ts";

/** Matches every verb, group, resource or non-resource URL. */
export const RBAC_ALL = "*";

/** The prefix of ServiceAccount usernames: `system:serviceaccount:<namespace>:<name>`. */
export const SERVICE_ACCOUNT_USERNAME_PREFIX = "system:serviceaccount:";

/** What of a request a rule is matched against (a subset of the authorization attributes). */
export interface RuleRequest {
  readonly verb: string;
  readonly resourceRequest: boolean;
  readonly path: string;
  readonly apiGroup: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
}

function has(list: readonly string[] | undefined, value: string): boolean {
  if (list === undefined) return false;
  for (const v of list) if (v === value) return true;
  return false;
}

/** The rule has the verb, or `*`. */
export function verbMatches(rule: PolicyRule, verb: string): boolean {
  for (const v of rule.verbs ?? []) if (v === RBAC_ALL || v === verb) return true;
  return false;
}

/** The rule has the API group (`""` is the core group), or `*`. */
export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  for (const g of rule.apiGroups ?? []) if (g === RBAC_ALL || g === group) return true;
  return false;
}

/**
 * The rule has the resource: `*`, the exact `resource` or `resource/subresource`, or
 * `*\/subresource` for a subresource request. `pods` does not match `pods/log`.
 */
export function resourceMatches(
  rule: PolicyRule,
  request: { readonly resource: string; readonly subresource: string },
): boolean {
  const sub = request.subresource;
  const combined = sub ? `${request.resource}/${sub}` : request.resource;
  for (const r of rule.resources ?? []) {
    if (r === RBAC_ALL || r === combined) return true;
    if (sub && r.length === sub.length + 2 && r.startsWith("*/") && r.endsWith(sub)) return true;
  }
  return false;
}

/** The rule names no resource, or names `name`. */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || has(names, name);
}

/** The rule has the URL: exactly, by a prefix ending in `*`, or `*`. */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === RBAC_ALL || u === path) return true;
    if (u.endsWith("*") && path.startsWith(trimStars(u))) return true;
  }
  return false;
}

/** `strings.TrimRight(s, "*")`. */
function trimStars(s: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === "*") end--;
  return s.slice(0, end);
}

/** Whether `rule` allows `request` (upstream `RuleAllows`). */
export function ruleAllows(request: RuleRequest, rule: PolicyRule): boolean {
  if (request.resourceRequest) {
    return verbMatches(rule, request.verb) && apiGroupMatches(rule, request.apiGroup) &&
      resourceMatches(rule, request) && resourceNameMatches(rule, request.name);
  }
  return verbMatches(rule, request.verb) && nonResourceURLMatches(rule, request.path);
}

/** Whether any of `rules` allows `request`. */
export function rulesAllow(request: RuleRequest, rules: readonly PolicyRule[]): boolean {
  for (const r of rules) if (ruleAllows(request, r)) return true;
  return false;
}

/** The username of a ServiceAccount. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USERNAME_PREFIX}${namespace}:${name}`;
}

/** The namespace and name of a ServiceAccount username, or null for other users. */
export function parseServiceAccountUsername(
  username: string,
): { readonly namespace: string; readonly name: string } | null {
  if (!username.startsWith(SERVICE_ACCOUNT_USERNAME_PREFIX)) return null;
  const rest = username.slice(SERVICE_ACCOUNT_USERNAME_PREFIX.length);
  const i = rest.indexOf(":");
  if (i <= 0 || i === rest.length - 1) return null;
  return { namespace: rest.slice(0, i), name: rest.slice(i + 1) };
}

/**
 * Whether a binding's `subject` is `user` (upstream `appliesToUser`). A ServiceAccount subject
 * without a namespace means one in the binding's `namespace`; in a ClusterRoleBinding
 * (`namespace` empty) it matches nobody.
 */
export function subjectMatches(
  user: RequestUser,
  options: { readonly subject: Subject; readonly namespace: string },
): boolean {
  const s = options.subject;
  switch (s.kind) {
    case "User":
      return user.username === s.name;
    case "Group":
      return user.groups.includes(s.name);
    case "ServiceAccount": {
      const ns = s.namespace || options.namespace;
      if (!ns) return false;
      return user.username === serviceAccountUsername(ns, s.name);
    }
    default:
      return false;
  }
}

/**
 * The index of the first of `subjects` that is `user`, or -1 (upstream `appliesTo`).
 */
export function firstMatchingSubject(
  user: RequestUser,
  options: { readonly subjects: readonly Subject[] | undefined; readonly namespace: string },
): number {
  const subjects = options.subjects ?? [];
  for (let i = 0; i < subjects.length; i++) {
    if (subjectMatches(user, { subject: subjects[i]!, namespace: options.namespace })) return i;
  }
  return -1;
}

/**
 * A subject as upstream's rule resolver names it in "allowed by" reasons: `User "bob"`,
 * `ServiceAccount "name/namespace"` (the binding's namespace when the subject has none).
 */
export function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === "ServiceAccount") {
    return `${subject.kind} ${goQuote(`${subject.name}/${subject.namespace || bindingNamespace}`)}`;
  }
  return `${subject.kind} ${goQuote(subject.name)}`;
}

// --- coverage --------------------------------------------------------------------------------

/**
 * `rule` split into rules of one group, one resource, one verb and at most one resource name
 * (or one non-resource URL and one verb), in upstream's order (`BreakdownRule`).
 */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  const verbs = rule.verbs ?? [];
  const names = rule.resourceNames ?? [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of verbs) {
        if (names.length > 0) {
          for (const name of names) {
            out.push({
              apiGroups: [group],
              resources: [resource],
              verbs: [verb],
              resourceNames: [name],
            });
          }
        } else {
          out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        }
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) {
    for (const verb of verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  }
  return out;
}

function hasAll(
  set: readonly string[] | undefined,
  values: readonly string[] | undefined,
): boolean {
  for (const v of values ?? []) if (!has(set, v)) return false;
  return true;
}

function resourcesCover(owner: readonly string[] | undefined, wanted: readonly string[]): boolean {
  if (has(owner, RBAC_ALL) || hasAll(owner, wanted)) return true;
  for (const path of wanted) {
    if (has(owner, path)) continue;
    const slash = path.indexOf("/");
    if (slash < 0) return false;
    if (!has(owner, `*/${path.slice(slash + 1)}`)) return false;
  }
  return true;
}

function nonResourceURLsCover(
  owner: readonly string[] | undefined,
  wanted: readonly string[] | undefined,
): boolean {
  for (const path of wanted ?? []) {
    let covered = false;
    for (const o of owner ?? []) {
      if (o === path || (o.endsWith("*") && path.startsWith(trimStars(o)))) {
        covered = true;
        break;
      }
    }
    if (!covered) return false;
  }
  return true;
}

/** Whether `owner` covers `sub`, a rule of at most one verb, resource and name (`ruleCovers`). */
function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, RBAC_ALL) || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, RBAC_ALL) || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = resourcesCover(owner.resources, sub.resources ?? []);
  const urls = nonResourceURLsCover(owner.nonResourceURLs, sub.nonResourceURLs);
  const ownerNames = owner.resourceNames ?? [];
  const subNames = sub.resourceNames ?? [];
  const names = subNames.length === 0
    ? ownerNames.length === 0
    : ownerNames.length === 0 || hasAll(ownerNames, subNames);
  return verbs && groups && resources && names && urls;
}

/** What {@linkcode covers} found. */
export interface Coverage {
  readonly covered: boolean;
  /** The broken-down rules of the servant that no owner rule covers. */
  readonly missing: readonly PolicyRule[];
}

/**
 * Whether `owner` rules allow everything `servant` rules allow (upstream `Covers`): each
 * servant rule is broken down and each piece must be covered by one owner rule.
 */
export function covers(
  owner: readonly PolicyRule[],
  servant: readonly PolicyRule[],
): Coverage {
  const missing: PolicyRule[] = [];
  for (const rule of servant) {
    for (const sub of breakdownRule(rule)) {
      if (!owner.some((o) => ruleCovers(o, sub))) missing.push(sub);
    }
  }
  return { covered: missing.length === 0, missing };
}

function isSimpleResourceRule(rule: PolicyRule): boolean {
  return (rule.resourceNames ?? []).length === 0 && (rule.nonResourceURLs ?? []).length === 0 &&
    (rule.apiGroups ?? []).length === 1 && (rule.resources ?? []).length === 1;
}

/**
 * Merges rules of one group and one resource (and nothing else) that differ only by verb, as
 * upstream's `CompactRules` does with the missing rules of a {@linkcode covers} check.
 */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule & { verbs: string[] }>();
  for (const rule of rules) {
    if (!isSimpleResourceRule(rule)) {
      out.push(rule);
      continue;
    }
    const key = `${rule.apiGroups![0]}\u0000${rule.resources![0]}`;
    const existing = simple.get(key);
    if (existing) existing.verbs.push(...(rule.verbs ?? []));
    else {
      simple.set(key, {
        apiGroups: [...rule.apiGroups!],
        resources: [...rule.resources!],
        verbs: [...(rule.verbs ?? [])],
      });
    }
  }
  out.push(...simple.values());
  return out;
}

/** Go's `%q` of a `[]string`: `["get" "list"]`. */
export function goQuotedList(values: readonly string[] | undefined): string {
  return `[${(values ?? []).map(goQuote).join(" ")}]`;
}

/**
 * A rule as upstream's escalation messages print it (`CompactString`):
 * `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`.
 */
export function compactString(rule: PolicyRule): string {
  const parts: string[] = [];
  if ((rule.apiGroups ?? []).length) parts.push(`APIGroups:${goQuotedList(rule.apiGroups)}`);
  if ((rule.resources ?? []).length) parts.push(`Resources:${goQuotedList(rule.resources)}`);
  if ((rule.nonResourceURLs ?? []).length) {
    parts.push(`NonResourceURLs:${goQuotedList(rule.nonResourceURLs)}`);
  }
  if ((rule.resourceNames ?? []).length) {
    parts.push(`ResourceNames:${goQuotedList(rule.resourceNames)}`);
  }
  if ((rule.verbs ?? []).length) parts.push(`Verbs:${goQuotedList(rule.verbs)}`);
  return `{${parts.join(", ")}}`;
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Whether two rules are the same, an absent list being the same as an empty one. */
export function ruleEqual(a: PolicyRule, b: PolicyRule): boolean {
  return sameList(a.verbs, b.verbs) && sameList(a.apiGroups, b.apiGroups) &&
    sameList(a.resources, b.resources) && sameList(a.resourceNames, b.resourceNames) &&
    sameList(a.nonResourceURLs, b.nonResourceURLs);
}

/** Whether two rule lists are the same, in order. */
export function rulesEqual(
  a: readonly PolicyRule[] | undefined,
  b: readonly PolicyRule[] | undefined,
): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!ruleEqual(x[i]!, y[i]!)) return false;
  return true;
}
