/**
 * The `core/v1` configuration kinds: ConfigMap, Secret and ServiceAccount. Field numbers, list
 * types and patch strategies from upstream `k8s.io/api/core/v1` (`types.go` protobuf tags).
 *
 * @module
 */
import { LocalObjectReference, ObjectReference } from "./core_v1_common.ts";
import { objectFields } from "./meta_v1.ts";
import { array, boolean, bytes, field, type Infer, map, object, string } from "./schema.ts";

const CORE = "io.k8s.api.core.v1";

/** The most bytes the values of a ConfigMap or a Secret may hold together (1 MiB). */
export const MAX_SECRET_SIZE = 1024 * 1024;

/** The Secret types Kubernetes knows, with the data keys (or annotation) each needs. */
export const SECRET_TYPES = {
  opaque: "Opaque",
  serviceAccountToken: "kubernetes.io/service-account-token",
  dockercfg: "kubernetes.io/dockercfg",
  dockerConfigJson: "kubernetes.io/dockerconfigjson",
  basicAuth: "kubernetes.io/basic-auth",
  sshAuth: "kubernetes.io/ssh-auth",
  tls: "kubernetes.io/tls",
  bootstrapToken: "bootstrap.kubernetes.io/token",
} as const;

/** Configuration data for pods. */
export const ConfigMap = object(`${CORE}.ConfigMap`, {
  description: "Configuration data for pods to consume, as text and binary values by key.",
  gvk: [{ group: "", version: "v1", kind: "ConfigMap" }],
  fields: {
    ...objectFields,
    immutable: field(boolean(), {
      description: "When true, data and binaryData cannot change (only metadata can).",
      proto: 4,
      keepZero: true,
    }),
    data: field(map(string()), {
      description:
        "UTF-8 values by key; keys consist of alphanumerics, '-', '_' and '.' and do not also appear in binaryData.",
      proto: 2,
    }),
    binaryData: field(map(bytes()), {
      description: "Binary values (base64 in JSON) by key; keys do not also appear in data.",
      proto: 3,
    }),
  },
});

/** Secret data of a given type. */
export const Secret = object(`${CORE}.Secret`, {
  description: "Secret data of a certain type; the values may hold at most 1 MiB together.",
  gvk: [{ group: "", version: "v1", kind: "Secret" }],
  fields: {
    ...objectFields,
    immutable: field(boolean(), {
      description: "When true, data cannot change (only metadata can).",
      proto: 5,
      keepZero: true,
    }),
    data: field(map(bytes()), {
      description:
        "The secret values (base64 in JSON) by key; keys consist of alphanumerics, '-', '_' and '.'.",
      proto: 2,
    }),
    stringData: field(map(string()), {
      description:
        "Write-only convenience: text values merged into data on write, overriding it; never read back.",
      proto: 4,
    }),
    type: field(string(), {
      description:
        "How the data is meant to be used (Opaque, the default; kubernetes.io/tls, kubernetes.io/dockerconfigjson, …).",
      proto: 3,
      default: "Opaque",
    }),
  },
});

/** An identity for processes in pods. */
export const ServiceAccount = object(`${CORE}.ServiceAccount`, {
  description:
    "An identity for processes in pods: a name, a principal that can be authenticated and authorized, and secrets.",
  gvk: [{ group: "", version: "v1", kind: "ServiceAccount" }],
  fields: {
    ...objectFields,
    secrets: field(array(ObjectReference, { listType: "map", listMapKeys: ["name"] }), {
      description:
        "Secrets in the namespace that pods running as this account may use (enforced only with the kubernetes.io/enforce-mountable-secrets annotation, deprecated).",
      proto: 2,
      patchStrategy: "merge",
      patchMergeKey: "name",
    }),
    imagePullSecrets: field(array(LocalObjectReference, { listType: "atomic" }), {
      description: "Secrets in the namespace for pulling the images of pods using this account.",
      proto: 3,
    }),
    automountServiceAccountToken: field(boolean(), {
      description: "Whether pods using this account get an API token mounted; pods may override.",
      proto: 4,
      keepZero: true,
    }),
  },
});

/** TypeScript type of {@linkcode ConfigMap}. */
export type ConfigMap = Infer<typeof ConfigMap>;
/** TypeScript type of {@linkcode Secret}. */
export type Secret = Infer<typeof Secret>;
/** TypeScript type of {@linkcode ServiceAccount}. */
export type ServiceAccount = Infer<typeof ServiceAccount>;
