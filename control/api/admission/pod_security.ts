/**
 * Pod Security admission, as kube-apiserver's `PodSecurity` plugin (`k8s.io/pod-security-admission`,
 * v1.33): a namespace chooses a level (`privileged`, `baseline`, `restricted`) and a policy
 * version (`latest`, `v1.<minor>`) per mode with the labels
 * `pod-security.kubernetes.io/<mode>` and `pod-security.kubernetes.io/<mode>-version`:
 *
 * - `enforce`: a pod that violates the level is refused, 403
 *   `pods "p" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), …`.
 *   Pod updates are checked only when they change what the policy looks at (images, seccomp
 *   annotations, ephemeral containers); status, binding, exec and the like never are.
 * - `warn`: a pod or a workload (ReplicationController, PodTemplate, ReplicaSet, Deployment,
 *   StatefulSet, DaemonSet, Job, CronJob) that violates it is admitted with the warning
 *   `would violate PodSecurity "restricted:latest": …`. Workloads only ever get warnings.
 * - `audit`: skiff has no audit log, so the audit labels are validated and otherwise ignored.
 *
 * Namespace labels are validated on create, and on update when they change (422, e.g.
 * `metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted`).
 * A namespace update that tightens `enforce` is checked against the pods already there, which
 * only produces warnings (`existing pods in namespace "ns" violate the new PodSecurity enforce
 * level "restricted:latest"`, then `<pod> (and N other pods): <reasons>`). Unlabeled
 * namespaces are privileged; no user, namespace or runtime class is exempt unless configured.
 *
 * Warnings go to `attrs.warnings`, which the request handler returns as `Warning` headers
 * after the kind's own warnings (upstream: validating admission runs after the strategy).
 *
 * @example Parse a namespace's labels
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePodSecurityLabels } from "./pod_security.ts";
 *
 * const { policy, errors } = parsePodSecurityLabels({ "pod-security.kubernetes.io/enforce": "baseline" });
 * assert.equal(errors.length, 0);
 * assert.equal(policy.enforce.level, "baseline");
 * assert.equal(policy.warn.level, "privileged");
 * ```
 *
 * @module
 */
import type { Storage } from "../../storage/types.ts";
import type { Logger } from "../../util/logger.ts";
import { ApiError } from "../errors.ts";
import { decodeStored } from "../store/object_codec.ts";
import type { ObjectView } from "../store/object_view.ts";
import type { ObjectViews } from "../store/object_views.ts";
import type { Pod, PodSpec } from "../types/core_v1_pod.ts";
import type { KubeObject, ObjectMeta } from "../types/meta_v1.ts";
import { type FieldError, FieldPath, invalid } from "../validation/field_errors.ts";
import type { AdmissionAttributes, AdmissionPlugin } from "./admission.ts";
import {
  type AggregateResult,
  evaluatePodSecurity,
  forbiddenDetail,
  forbiddenReason,
  type LevelVersion,
  type PodSecurityLevel,
  type PolicyVersion,
} from "./_pod_security_checks.ts";

export type { LevelVersion, PodSecurityLevel, PolicyVersion } from "./_pod_security_checks.ts";

/** `pod-security.kubernetes.io/enforce`. */
export const ENFORCE_LEVEL_LABEL = "pod-security.kubernetes.io/enforce";
/** `pod-security.kubernetes.io/enforce-version`. */
export const ENFORCE_VERSION_LABEL = "pod-security.kubernetes.io/enforce-version";
/** `pod-security.kubernetes.io/audit`. */
export const AUDIT_LEVEL_LABEL = "pod-security.kubernetes.io/audit";
/** `pod-security.kubernetes.io/audit-version`. */
export const AUDIT_VERSION_LABEL = "pod-security.kubernetes.io/audit-version";
/** `pod-security.kubernetes.io/warn`. */
export const WARN_LEVEL_LABEL = "pod-security.kubernetes.io/warn";
/** `pod-security.kubernetes.io/warn-version`. */
export const WARN_VERSION_LABEL = "pod-security.kubernetes.io/warn-version";

/** The level and version of each mode. */
export interface PodSecurityPolicy {
  readonly enforce: LevelVersion;
  readonly audit: LevelVersion;
  readonly warn: LevelVersion;
}

const LATEST: PolicyVersion = { latest: true, minor: 0 };
const PRIVILEGED_LATEST: LevelVersion = { level: "privileged", version: LATEST };

/** What an unlabeled namespace gets: privileged, latest, in every mode. */
export const DEFAULT_POD_SECURITY_POLICY: PodSecurityPolicy = {
  enforce: PRIVILEGED_LATEST,
  audit: PRIVILEGED_LATEST,
  warn: PRIVILEGED_LATEST,
};

const LEVELS: readonly PodSecurityLevel[] = ["privileged", "baseline", "restricted"];
const VERSION = /^v1\.([0-9]|[1-9][0-9]*)$/;

/** `latest` or `v1.<minor>`. */
export function formatPolicyVersion(v: PolicyVersion): string {
  return v.latest ? "latest" : `v1.${v.minor}`;
}

/** `restricted:latest`. */
export function formatLevelVersion(lv: LevelVersion): string {
  return `${lv.level}:${formatPolicyVersion(lv.version)}`;
}

function sameLevelVersion(a: LevelVersion, b: LevelVersion): boolean {
  return a.level === b.level && a.version.latest === b.version.latest &&
    (a.version.latest || a.version.minor === b.version.minor);
}

function compareLevels(a: PodSecurityLevel, b: PodSecurityLevel): number {
  return LEVELS.indexOf(a) - LEVELS.indexOf(b);
}

/**
 * Upstream `PolicyToEvaluate`: the policy of a namespace's labels over `defaults`. A bad enforce
 * level reads as restricted, a bad audit or warn level as privileged, a bad version as latest;
 * each bad label is also returned as a field error.
 */
export function parsePodSecurityLabels(
  labels: Readonly<Record<string, string>> | undefined,
  defaults: PodSecurityPolicy = DEFAULT_POD_SECURITY_POLICY,
): { policy: PodSecurityPolicy; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const l = labels ?? {};
  if (Object.keys(l).length === 0) return { policy: defaults, errors };
  const path = new FieldPath("metadata").child("labels");
  const level = (label: string, fallback: PodSecurityLevel, onError: PodSecurityLevel) => {
    const v = l[label];
    if (v === undefined) return fallback;
    if ((LEVELS as readonly string[]).includes(v)) return v as PodSecurityLevel;
    errors.push(invalid(path.index(label), {
      value: v,
      detail: `must be one of ${LEVELS.join(", ")}`,
    }));
    return onError;
  };
  const version = (label: string, fallback: PolicyVersion): PolicyVersion => {
    const v = l[label];
    if (v === undefined) return fallback;
    if (v === "latest") return LATEST;
    const m = VERSION.exec(v);
    if (m) return { latest: false, minor: Number(m[1]) };
    errors.push(invalid(path.index(label), { value: v, detail: `must be "latest" or "v1.x"` }));
    return LATEST;
  };
  const enforceLevel = level(ENFORCE_LEVEL_LABEL, defaults.enforce.level, "restricted");
  const enforceVersion = version(ENFORCE_VERSION_LABEL, defaults.enforce.version);
  const auditLevel = level(AUDIT_LEVEL_LABEL, defaults.audit.level, "privileged");
  const auditVersion = version(AUDIT_VERSION_LABEL, defaults.audit.version);
  const warnLevel = level(WARN_LEVEL_LABEL, defaults.warn.level, "privileged");
  const warnVersion = version(WARN_VERSION_LABEL, defaults.warn.version);
  return {
    policy: {
      enforce: { level: enforceLevel, version: enforceVersion },
      audit: { level: auditLevel, version: auditVersion },
      warn: { level: warnLevel, version: warnVersion },
    },
    errors,
  };
}

/** Who and what is never checked. */
export interface PodSecurityExemptions {
  readonly usernames?: readonly string[];
  readonly namespaces?: readonly string[];
  readonly runtimeClasses?: readonly string[];
}

/** Options of {@linkcode PodSecurity}. */
export interface PodSecurityOptions {
  readonly views: ObjectViews;
  /**
   * Read for a namespace the view has not seen yet (created an instant ago), and for the pods
   * of a namespace whose enforce level tightens: a rare request, so the pods view need not
   * keep what the policy checks.
   */
  readonly storage: Storage;
  readonly logger: Logger;
  /** The policy of unlabeled modes. @default {DEFAULT_POD_SECURITY_POLICY} */
  readonly defaults?: PodSecurityPolicy;
  /** @default {{}} (none) */
  readonly exemptions?: PodSecurityExemptions;
  /** Existing pods checked when a namespace's enforce level tightens. @default {3000} */
  readonly maxPodsToCheck?: number;
}

const NAMESPACES_PREFIX = "/registry/namespaces/";
const PODS_PREFIX = "/registry/pods/";
/** Pods read per storage page when a namespace's pods are checked. */
const POD_PAGE = 500;

/** Pod subresources that cannot change what the policy checks. */
const IGNORED_POD_SUBRESOURCES = new Set([
  "exec",
  "attach",
  "binding",
  "eviction",
  "log",
  "portforward",
  "proxy",
  "status",
]);

/** Kinds with a pod template, and where it is. */
const WORKLOADS: Readonly<Record<string, (obj: KubeObject) => unknown>> = {
  "/replicationcontrollers": (o) => (o.spec as { template?: unknown } | undefined)?.template,
  "/podtemplates": (o) => o.template,
  "apps/replicasets": (o) => (o.spec as { template?: unknown } | undefined)?.template,
  "apps/deployments": (o) => (o.spec as { template?: unknown } | undefined)?.template,
  "apps/statefulsets": (o) => (o.spec as { template?: unknown } | undefined)?.template,
  "apps/daemonsets": (o) => (o.spec as { template?: unknown } | undefined)?.template,
  "batch/jobs": (o) => (o.spec as { template?: unknown } | undefined)?.template,
  "batch/cronjobs": (o) =>
    (o.spec as { jobTemplate?: { spec?: { template?: unknown } } } | undefined)?.jobTemplate?.spec
      ?.template,
};

/** Adds a warning to the request's response, when the request carries a warning list. */
function addWarning(a: AdmissionAttributes, warning: string): void {
  a.warnings?.push(warning);
}

interface PodLike {
  readonly metadata: ObjectMeta;
  readonly spec: PodSpec;
}

/** The Pod Security admission plugin. */
export class PodSecurity implements AdmissionPlugin {
  readonly name = "PodSecurity";
  readonly #o: PodSecurityOptions;
  readonly #defaults: PodSecurityPolicy;
  readonly #maxPods: number;
  #namespaces: Promise<ObjectView> | null = null;

  constructor(options: PodSecurityOptions) {
    this.#o = options;
    this.#defaults = options.defaults ?? DEFAULT_POD_SECURITY_POLICY;
    this.#maxPods = options.maxPodsToCheck ?? 3000;
  }

  #namespacesView(): Promise<ObjectView> {
    this.#namespaces ??= this.#o.views.started(NAMESPACES_PREFIX).then(() =>
      this.#o.views.get(NAMESPACES_PREFIX)
    );
    this.#namespaces.catch(() => this.#namespaces = null);
    return this.#namespaces;
  }

  /** The pods of `namespace`, whole, from storage. */
  async #podsIn(namespace: string): Promise<Pod[]> {
    const prefix = `${PODS_PREFIX}${namespace}/`;
    const pods: Pod[] = [];
    let page = await this.#o.storage.list(prefix, { limit: POD_PAGE });
    for (;;) {
      for (const kv of page.items) pods.push(decodeStored(kv.value, kv.modRevision) as Pod);
      if (!page.continue) return pods;
      page = await this.#o.storage.list(prefix, { limit: POD_PAGE, continue: page.continue });
    }
  }

  async #namespaceLabels(namespace: string): Promise<Record<string, string>> {
    const view = await this.#namespacesView();
    let ns = view.getByName("", namespace);
    if (!ns) {
      const kv = await this.#o.storage.get(`${NAMESPACES_PREFIX}${namespace}`);
      if (kv) ns = decodeStored(kv.value, kv.modRevision);
    }
    if (!ns) throw ApiError.internal(new Error(`failed to lookup namespace "${namespace}"`));
    return ns.metadata?.labels ?? {};
  }

  #exemptNamespace(namespace: string): boolean {
    return namespace !== "" && (this.#o.exemptions?.namespaces ?? []).includes(namespace);
  }

  #exemptUser(username: string): boolean {
    return username !== "" && (this.#o.exemptions?.usernames ?? []).includes(username);
  }

  #exemptRuntimeClass(spec: PodSpec): boolean {
    const rc = spec.runtimeClassName;
    return !!rc && (this.#o.exemptions?.runtimeClasses ?? []).includes(rc);
  }

  /** The namespace policy of a namespace's labels (with this plugin's defaults). */
  policyOf(labels: Readonly<Record<string, string>> | undefined): {
    policy: PodSecurityPolicy;
    errors: FieldError[];
  } {
    return parsePodSecurityLabels(labels, this.#defaults);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== "CREATE" && a.operation !== "UPDATE") return;
    if (!a.object) return;
    const key = `${a.def.group}/${a.def.resource}`;
    if (key === "/namespaces") return await this.#validateNamespace(a);
    if (key === "/pods") return await this.#validatePod(a);
    const template = WORKLOADS[key];
    if (template) return await this.#validateWorkload(a, template);
  }

  async #validateNamespace(a: AdmissionAttributes): Promise<void> {
    if (a.subresource !== "") return;
    const ns = a.object!;
    const name = a.name || ns.metadata?.name || "";
    const next = this.policyOf(ns.metadata?.labels);
    if (a.operation === "CREATE") {
      if (next.errors.length > 0) {
        throw ApiError.invalid({ group: "", kind: "Namespace" }, { name, errors: next.errors });
      }
      return;
    }
    const prev = this.policyOf(a.oldObject?.metadata?.labels);
    const sameErrors = prev.errors.length > 0 &&
      prev.errors.map(String).join("\n") === next.errors.map(String).join("\n");
    if (next.errors.length > 0 && !sameErrors) {
      throw ApiError.invalid({ group: "", kind: "Namespace" }, { name, errors: next.errors });
    }
    const enforce = next.policy.enforce;
    const before = prev.policy.enforce;
    if (sameLevelVersion(enforce, before) || enforce.level === "privileged") return;
    const sameVersion = enforce.version.latest === before.version.latest &&
      (enforce.version.latest || enforce.version.minor === before.version.minor);
    if (sameVersion && compareLevels(enforce.level, before.level) < 1) return;
    if (this.#exemptNamespace(name)) return;
    for (const w of await this.podsInNamespaceWarnings(name, enforce)) addWarning(a, w);
  }

  /**
   * What a namespace update to enforce `enforce` warns about the pods already there (upstream
   * `EvaluatePodsInNamespace`): one warning naming the namespace, then one per distinct set of
   * reasons with the lexically first pod and how many others share it.
   */
  async podsInNamespaceWarnings(namespace: string, enforce: LevelVersion): Promise<string[]> {
    const all = (await this.#podsIn(namespace)).sort((x, y) =>
      compareNames(x.metadata?.name, y.metadata?.name)
    );
    const pods = prioritize(all);
    const checked = pods.slice(0, this.#maxPods);
    const counts = new Map<string, { name: string; count: number }>();
    const order: string[] = [];
    for (const pod of checked) {
      const spec = pod.spec ?? ({} as PodSpec);
      if (this.#exemptRuntimeClass(spec)) continue;
      const r = evaluatePodSecurity(enforce, { metadata: pod.metadata ?? {}, spec });
      if (r.allowed) continue;
      const reason = forbiddenReason(r);
      const name = pod.metadata?.name ?? "";
      const c = counts.get(reason);
      if (!c) {
        counts.set(reason, { name, count: 1 });
        order.push(reason);
      } else {
        if (name < c.name) c.name = name;
        c.count++;
      }
    }
    const warnings: string[] = [];
    if (checked.length < pods.length) {
      warnings.push(
        `new PodSecurity enforce level only checked against the first ${checked.length} of ${pods.length} existing pods`,
      );
    }
    if (order.length > 0) {
      warnings.push(
        `existing pods in namespace "${namespace}" violate the new PodSecurity enforce level "${
          formatLevelVersion(enforce)
        }"`,
      );
    }
    const decorated = order.map((reason) => {
      const c = counts.get(reason)!;
      if (c.count === 1) return `${c.name}: ${reason}`;
      if (c.count === 2) return `${c.name} (and 1 other pod): ${reason}`;
      return `${c.name} (and ${c.count - 1} other pods): ${reason}`;
    }).sort(compareNames);
    return [...warnings, ...decorated];
  }

  async #validatePod(a: AdmissionAttributes): Promise<void> {
    if (IGNORED_POD_SUBRESOURCES.has(a.subresource)) return;
    if (this.#exemptNamespace(a.namespace) || this.#exemptUser(a.username)) return;
    const labels = await this.#namespaceLabels(a.namespace);
    const { policy, errors } = this.policyOf(labels);
    // Audit is ignored (no audit log): only enforce and warn can have an effect.
    if (
      errors.length === 0 && policy.enforce.level === "privileged" &&
      policy.warn.level === "privileged"
    ) return;
    const pod = a.object as Pod;
    if (
      a.operation === "UPDATE" && a.oldObject && !isSignificantPodUpdate(pod, a.oldObject as Pod)
    ) {
      return;
    }
    this.#evaluate(a, { policy, pod: podLike(pod), enforce: true });
  }

  async #validateWorkload(
    a: AdmissionAttributes,
    template: (obj: KubeObject) => unknown,
  ): Promise<void> {
    if (a.subresource !== "") return;
    if (this.#exemptNamespace(a.namespace) || this.#exemptUser(a.username)) return;
    const labels = await this.#namespaceLabels(a.namespace);
    const { policy, errors } = this.policyOf(labels);
    if (errors.length === 0 && policy.warn.level === "privileged") return;
    const t = template(a.object!) as { metadata?: ObjectMeta; spec?: PodSpec } | undefined | null;
    if (!t) return;
    this.#evaluate(a, {
      policy,
      pod: { metadata: t.metadata ?? {}, spec: t.spec ?? ({} as PodSpec) },
      enforce: false,
    });
  }

  /** Upstream `EvaluatePod`: enforce (pods only), then warn unless the request is refused. */
  #evaluate(
    a: AdmissionAttributes,
    e: { readonly policy: PodSecurityPolicy; readonly pod: PodLike; readonly enforce: boolean },
  ): void {
    if (this.#exemptRuntimeClass(e.pod.spec)) return;
    let enforced: AggregateResult | undefined;
    if (e.enforce) {
      enforced = evaluatePodSecurity(e.policy.enforce, e.pod);
      if (!enforced.allowed) {
        const meta = a.object?.metadata;
        throw ApiError.forbidden({ group: a.def.group, resource: a.def.resource }, {
          name: a.name || meta?.name || "",
          detail: `violates PodSecurity "${formatLevelVersion(e.policy.enforce)}": ${
            forbiddenDetail(enforced)
          }`,
        });
      }
    }
    const warn = enforced && sameLevelVersion(e.policy.warn, e.policy.enforce)
      ? enforced
      : evaluatePodSecurity(e.policy.warn, e.pod);
    if (!warn.allowed) {
      addWarning(
        a,
        `would violate PodSecurity "${formatLevelVersion(e.policy.warn)}": ${
          forbiddenDetail(warn)
        }`,
      );
    }
  }
}

function podLike(pod: Pod): PodLike {
  return { metadata: pod.metadata ?? {}, spec: pod.spec ?? ({} as PodSpec) };
}

function compareNames(a: string | undefined, b: string | undefined): number {
  const x = a ?? "", y = b ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
}

/** One pod per controller first, then the replicas (so a capped check sees more variety). */
function prioritize(pods: readonly Pod[]): Pod[] {
  const first: Pod[] = [];
  const rest: Pod[] = [];
  const seen = new Set<string>();
  for (const p of pods) {
    const owner = (p.metadata?.ownerReferences ?? []).find((o) => o.controller === true);
    if (!owner) {
      first.push(p);
    } else if (seen.has(owner.uid)) {
      rest.push(p);
    } else {
      seen.add(owner.uid);
      first.push(p);
    }
  }
  return [...first, ...rest];
}

const SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/";

/** Upstream `isSignificantPodUpdate`: images, seccomp annotations, or ephemeral containers. */
function isSignificantPodUpdate(pod: Pod, old: Pod): boolean {
  const ann = pod.metadata?.annotations ?? {};
  const oldAnn = old.metadata?.annotations ?? {};
  if (ann[SECCOMP_POD_ANNOTATION] !== oldAnn[SECCOMP_POD_ANNOTATION]) return true;
  const containers = pod.spec?.containers ?? [];
  const oldContainers = old.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  const oldInits = old.spec?.initContainers ?? [];
  if (containers.length !== oldContainers.length || inits.length !== oldInits.length) return true;
  const changed = (c: { name: string; image?: string }, o: { name: string; image?: string }) => {
    if (c.image !== o.image) return true;
    const k = `${SECCOMP_CONTAINER_ANNOTATION_PREFIX}${c.name}`;
    return ann[k] !== oldAnn[k];
  };
  if (containers.some((c, i) => changed(c, oldContainers[i]!))) return true;
  if (inits.some((c, i) => changed(c, oldInits[i]!))) return true;
  const oldEphemeral = old.spec?.ephemeralContainers ?? [];
  for (const c of pod.spec?.ephemeralContainers ?? []) {
    const o = oldEphemeral.find((x) => x.name === c.name);
    if (!o || changed(c, o)) return true;
  }
  return false;
}
