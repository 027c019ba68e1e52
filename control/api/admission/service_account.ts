/**
 * The ServiceAccount admission plugin, as kube-apiserver's: a new pod without
 * `spec.serviceAccountName` runs as `default`; its ServiceAccount must exist (else 403
 * `error looking up service account <ns>/<name>: serviceaccount "<name>" not found`); unless the
 * pod or the account opts out (`automountServiceAccountToken: false`, the pod's choice wins),
 * every init container and container that has nothing mounted at
 * `/var/run/secrets/kubernetes.io/serviceaccount` gets the projected volume
 * `kube-api-access-<5 random chars>` there, read-only: a bound token (`token`, 3607 s), the
 * cluster CA (`ca.crt` from the ConfigMap `kube-root-ca.crt`) and the pod's `namespace`; a pod
 * without image pull secrets gets the account's. Mirror pods are not changed and may not
 * reference ServiceAccounts, Secrets or token projections. Accounts annotated
 * `kubernetes.io/enforce-mountable-secrets: "true"` limit the Secrets a pod may use to theirs.
 *
 * Only creates are changed, as upstream; a pod's ServiceAccount cannot change afterwards because
 * the pod strategy refuses spec changes. Ephemeral containers are never mounted (upstream's
 * plugin does not either; they arrive through a subresource that only gets the mountable
 * secrets check).
 *
 * ServiceAccounts come from the shared ServiceAccounts view. Where upstream retries a cache miss
 * against the API (ten times over about two seconds for `default`, which its controller
 * creates right after the namespace), this plugin waits on the view for the account to appear:
 * up to `defaultAccountWaitMs` (2 s) for `default`, `accountWaitMs` (100 ms: the view's lag
 * behind storage) for any other name. Nothing is read from storage per request.
 *
 * @example The projected volume the plugin adds
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenVolumeSource } from "./service_account.ts";
 *
 * const v = tokenVolumeSource();
 * assert.equal(v.defaultMode, 420);
 * assert.equal(v.sources?.[0]?.serviceAccountToken?.expirationSeconds, 3607);
 * ```
 *
 * @module
 */
import type { Clock } from "../../util/clock.ts";
import { ApiError } from "../errors.ts";
import { generateName } from "../handlers/object_lifecycle.ts";
import type { ObjectView } from "../store/object_view.ts";
import type { ObjectViews } from "../store/object_views.ts";
import type { ServiceAccount } from "../types/core_v1_config.ts";
import {
  type Container,
  MIRROR_POD_ANNOTATION,
  type Pod,
  type ProjectedVolumeSource,
  type VolumeMount,
} from "../types/core_v1_pod.ts";
import type { AdmissionAttributes, AdmissionPlugin } from "./admission.ts";
import { admissionForbidden } from "./_forbidden.ts";
import { podSecretNames } from "./_pod_secrets.ts";

/** The ServiceAccount a pod runs as when it names none. */
export const DEFAULT_SERVICE_ACCOUNT_NAME = "default";
/** The prefix of the generated token volume's name. */
export const SERVICE_ACCOUNT_VOLUME_PREFIX = "kube-api-access";
/** Where the token, `ca.crt` and `namespace` are mounted. */
export const DEFAULT_API_TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
/** The ConfigMap in every namespace holding the cluster CA (`ca.crt`). */
export const ROOT_CA_CONFIG_MAP_NAME = "kube-root-ca.crt";
/** The token lifetime admission asks for (upstream `WarnOnlyBoundTokenExpirationSeconds`). */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 3607;
/** The ServiceAccount annotation limiting pods to the account's own Secrets. */
export const ENFORCE_MOUNTABLE_SECRETS_ANNOTATION = "kubernetes.io/enforce-mountable-secrets";
/** The file mode of the projected files (0644). */
export const PROJECTED_VOLUME_DEFAULT_MODE = 420;

const PREFIX = "/registry/serviceaccounts/";

/** The projected volume source admission mounts (upstream `TokenVolumeSource`), a fresh copy. */
export function tokenVolumeSource(): ProjectedVolumeSource {
  return {
    defaultMode: PROJECTED_VOLUME_DEFAULT_MODE,
    sources: [
      {
        serviceAccountToken: {
          expirationSeconds: WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS,
          path: "token",
        },
      },
      {
        configMap: {
          name: ROOT_CA_CONFIG_MAP_NAME,
          items: [{ key: "ca.crt", path: "ca.crt" }],
        },
      },
      {
        downwardAPI: {
          items: [{
            path: "namespace",
            fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" },
          }],
        },
      },
    ],
  };
}

/** Whether a pod of `sa` gets a token mounted: the pod's choice, else the account's, else yes. */
export function shouldAutomount(sa: ServiceAccount, pod: Pod): boolean {
  return pod.spec?.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true;
}

/** Whether `sa` limits its pods to the Secrets it lists (Go `strconv.ParseBool` of the annotation). */
export function enforcesMountableSecrets(sa: ServiceAccount): boolean {
  const v = sa.metadata?.annotations?.[ENFORCE_MOUNTABLE_SECRETS_ANNOTATION];
  return v !== undefined && ["1", "t", "T", "true", "TRUE", "True"].includes(v);
}

/**
 * Adds the token volume and its mounts to `pod` (upstream `mountServiceAccountToken`): an
 * existing `kube-api-access-*` volume is reused; containers with a mount at the token path
 * are left alone; the volume is added only if some container mounts it.
 */
export function mountServiceAccountToken(
  pod: Pod,
  random: () => number = Math.random,
): void {
  const spec = pod.spec!;
  const existing = (spec.volumes ?? []).find((v) =>
    v.name.startsWith(`${SERVICE_ACCOUNT_VOLUME_PREFIX}-`)
  );
  const volumeName = existing?.name ?? generateName(`${SERVICE_ACCOUNT_VOLUME_PREFIX}-`, random);
  let needed = false;
  const mountInto = (containers: Container[] | undefined) => {
    for (const c of containers ?? []) {
      if ((c.volumeMounts ?? []).some((m) => m.mountPath === DEFAULT_API_TOKEN_MOUNT_PATH)) {
        continue;
      }
      const mount: VolumeMount = {
        name: volumeName,
        readOnly: true,
        mountPath: DEFAULT_API_TOKEN_MOUNT_PATH,
      };
      (c.volumeMounts ??= []).push(mount);
      needed = true;
    }
  };
  mountInto(spec.initContainers);
  mountInto(spec.containers);
  if (!existing && needed) {
    (spec.volumes ??= []).push({ name: volumeName, projected: tokenVolumeSource() });
  }
}

/** Why `pod` may not use a Secret `sa` does not list (upstream `limitSecretReferences`). */
export function secretReferenceError(sa: ServiceAccount, pod: Pod): string | null {
  const saName = sa.metadata?.name ?? "";
  const mountable = new Set((sa.secrets ?? []).map((s) => s.name ?? ""));
  const spec = pod.spec;
  for (const v of spec?.volumes ?? []) {
    if (!v.secret) continue;
    const secretName = v.secret.secretName ?? "";
    if (!mountable.has(secretName)) {
      return `volume with secret.secretName="${secretName}" is not allowed because service account ${saName} does not reference that secret`;
    }
  }
  const envError = containerSecretError(mountable, {
    saName,
    label: "init container",
    containers: spec?.initContainers,
  }) ?? containerSecretError(mountable, {
    saName,
    label: "container",
    containers: spec?.containers,
  });
  if (envError) return envError;
  const pullSecrets = new Set((sa.imagePullSecrets ?? []).map((s) => s.name ?? ""));
  for (const [i, ref] of (spec?.imagePullSecrets ?? []).entries()) {
    if (!pullSecrets.has(ref.name ?? "")) {
      return `imagePullSecrets[${i}].name="${
        ref.name ?? ""
      }" is not allowed because service account ${saName} does not reference that imagePullSecret`;
    }
  }
  return null;
}

function containerSecretError(
  mountable: ReadonlySet<string>,
  options: {
    saName: string;
    label: string;
    containers: readonly Pick<Container, "name" | "env" | "envFrom">[] | undefined;
  },
): string | null {
  const { saName, label } = options;
  for (const c of options.containers ?? []) {
    for (const env of c.env ?? []) {
      const ref = env.valueFrom?.secretKeyRef;
      if (ref && !mountable.has(ref.name ?? "")) {
        return `${label} ${c.name} with envVar ${env.name} referencing secret.secretName="${
          ref.name ?? ""
        }" is not allowed because service account ${saName} does not reference that secret`;
      }
    }
    for (const from of c.envFrom ?? []) {
      const ref = from.secretRef;
      if (ref && !mountable.has(ref.name ?? "")) {
        return `${label} ${c.name} with envFrom referencing secret.secretName="${
          ref.name ?? ""
        }" is not allowed because service account ${saName} does not reference that secret`;
      }
    }
  }
  return null;
}

/** Options of {@linkcode ServiceAccountAdmission}. */
export interface ServiceAccountAdmissionOptions {
  readonly views: ObjectViews;
  /** Times the wait for a ServiceAccount the view has not seen yet. */
  readonly clock: Clock;
  /** How long to wait for the `default` account to appear. @default {2000} */
  readonly defaultAccountWaitMs?: number;
  /** How long to wait for any other account to appear. @default {100} */
  readonly accountWaitMs?: number;
  /** Random numbers in [0, 1) for the volume name. @default {Math.random} */
  readonly random?: () => number;
  /** Mount the token volume at all (upstream `MountServiceAccountToken`). @default {true} */
  readonly mountServiceAccountToken?: boolean;
}

/** The ServiceAccount plugin. */
export class ServiceAccountAdmission implements AdmissionPlugin {
  readonly name = "ServiceAccount";
  readonly #o: ServiceAccountAdmissionOptions;

  constructor(options: ServiceAccountAdmissionOptions) {
    this.#o = options;
  }

  static #applies(a: AdmissionAttributes): boolean {
    return a.def.group === "" && a.def.resource === "pods" &&
      (a.subresource === "" || a.subresource === "ephemeralcontainers") &&
      a.object !== undefined;
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (!ServiceAccountAdmission.#applies(a) || a.operation !== "CREATE") return;
    const pod = a.object as Pod;
    if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) {
      return await this.validate(a);
    }
    const spec = pod.spec ??= { containers: [] };
    if (!spec.serviceAccountName) spec.serviceAccountName = DEFAULT_SERVICE_ACCOUNT_NAME;
    // The deprecated alias always mirrors the name in v1.
    spec.serviceAccount = spec.serviceAccountName;
    const sa = await this.#serviceAccount(a, spec.serviceAccountName);
    if ((this.#o.mountServiceAccountToken ?? true) && shouldAutomount(sa, pod)) {
      mountServiceAccountToken(pod, this.#o.random);
    }
    if ((spec.imagePullSecrets ?? []).length === 0 && (sa.imagePullSecrets ?? []).length > 0) {
      spec.imagePullSecrets = sa.imagePullSecrets!.map((s) => ({ name: s.name ?? "" }));
    }
    await this.validate(a);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (!ServiceAccountAdmission.#applies(a)) return;
    const pod = a.object as Pod;
    if (a.operation === "UPDATE" && a.subresource === "ephemeralcontainers") {
      return await this.#validateEphemeral(a, pod);
    }
    if (a.operation !== "CREATE" || a.subresource !== "") return;
    if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) {
      return validateMirrorPod(a, pod);
    }
    const saName = pod.spec?.serviceAccountName;
    if (!saName) {
      throw admissionForbidden(
        a,
        `no service account specified for pod ${a.namespace}/${pod.metadata?.name ?? ""}`,
      );
    }
    const sa = await this.#serviceAccount(a, saName);
    if (enforcesMountableSecrets(sa)) {
      const err = secretReferenceError(sa, pod);
      if (err !== null) throw admissionForbidden(a, err);
    }
  }

  async #validateEphemeral(a: AdmissionAttributes, pod: Pod): Promise<void> {
    const saName = pod.spec?.serviceAccountName;
    if (!saName) {
      throw admissionForbidden(
        a,
        `no service account specified for pod ${a.namespace}/${pod.metadata?.name ?? ""}`,
      );
    }
    const sa = await this.#serviceAccount(a, saName);
    if (!enforcesMountableSecrets(sa)) return;
    const mountable = new Set((sa.secrets ?? []).map((s) => s.name ?? ""));
    const err = containerSecretError(mountable, {
      saName,
      label: "ephemeral container",
      containers: pod.spec?.ephemeralContainers,
    });
    // Upstream returns this one as a plain error, which the API server answers with a 500.
    if (err !== null) throw ApiError.internal(new Error(err));
  }

  async #serviceAccount(a: AdmissionAttributes, name: string): Promise<ServiceAccount> {
    const view = await this.#o.views.started(PREFIX);
    const sa = view.getByName(a.namespace, name) ??
      await this.#waitFor(view, { namespace: a.namespace, name });
    if (sa === undefined) {
      throw admissionForbidden(
        a,
        `error looking up service account ${a.namespace}/${name}: serviceaccount "${name}" not found`,
      );
    }
    return sa as ServiceAccount;
  }

  #waitFor(
    view: ObjectView,
    id: { namespace: string; name: string },
  ): Promise<ServiceAccount | undefined> {
    const ms = id.name === DEFAULT_SERVICE_ACCOUNT_NAME
      ? this.#o.defaultAccountWaitMs ?? 2000
      : this.#o.accountWaitMs ?? 100;
    if (ms <= 0) return Promise.resolve(undefined);
    const key = `${PREFIX}${id.namespace}/${id.name}`;
    return new Promise((resolve) => {
      const off = view.onChange((c) => {
        if (c.key !== key || c.type === "deleted") return;
        off();
        timer.cancel();
        resolve(c.object as ServiceAccount);
      });
      const timer = this.#o.clock.setTimeout(() => {
        off();
        resolve(view.getByName(id.namespace, id.name) as ServiceAccount | undefined);
      }, ms);
    });
  }
}

function validateMirrorPod(a: AdmissionAttributes, pod: Pod): void {
  if (pod.spec?.serviceAccountName) {
    throw admissionForbidden(a, "a mirror pod may not reference service accounts");
  }
  if (podSecretNames(pod).length > 0) {
    throw admissionForbidden(a, "a mirror pod may not reference secrets");
  }
  for (const v of pod.spec?.volumes ?? []) {
    if ((v.projected?.sources ?? []).some((s) => s.serviceAccountToken)) {
      throw admissionForbidden(
        a,
        "a mirror pod may not use ServiceAccountToken volume projections",
      );
    }
  }
}
