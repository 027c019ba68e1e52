/**
 * The "live" object a create is compared with: Go's zero value of the kind as its JSON encoder
 * writes it, so that a create owns what upstream's would. A Go zero struct still has its
 * non-pointer struct fields (`spec`, `spec.template`, `spec.strategy` …) and its fields
 * without `omitempty` (null for slices and maps: `spec.template.spec.containers`), so those
 * count as present: a created Deployment owns `f:spec.f:replicas`, not `f:spec` itself.
 *
 * What is present comes from the schema: required fields (OpenAPI's `required` is the
 * fields without `omitempty`), the `metadata`, `spec` and `status` of kinds, every ObjectMeta,
 * and the few optional non-pointer structs of the built-in kinds listed here.
 *
 * @module
 */
import { type ObjectSchema, resolve, type Schema } from "../types/schema.ts";

const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/** Optional fields that are non-pointer structs in Go (present in the zero value). */
const NON_POINTER_STRUCTS: ReadonlySet<string> = new Set([
  "io.k8s.api.apps.v1.DeploymentSpec.strategy",
  "io.k8s.api.apps.v1.DeploymentSpec.template",
  "io.k8s.api.apps.v1.StatefulSetSpec.updateStrategy",
  "io.k8s.api.apps.v1.StatefulSetSpec.template",
  "io.k8s.api.apps.v1.DaemonSetSpec.updateStrategy",
  "io.k8s.api.apps.v1.DaemonSetSpec.template",
  "io.k8s.api.apps.v1.ReplicaSetSpec.template",
  "io.k8s.api.batch.v1.JobSpec.template",
  "io.k8s.api.batch.v1.CronJobSpec.jobTemplate",
  "io.k8s.api.batch.v1.JobTemplateSpec.spec",
  "io.k8s.api.core.v1.PodTemplateSpec.spec",
  "io.k8s.api.core.v1.PodTemplate.template",
  "io.k8s.api.core.v1.Container.resources",
  "io.k8s.api.core.v1.PersistentVolumeClaimSpec.resources",
  "io.k8s.api.core.v1.Event.involvedObject",
  "io.k8s.api.core.v1.Event.source",
  "io.k8s.api.core.v1.ServiceStatus.loadBalancer",
  "io.k8s.api.networking.v1.IngressStatus.loadBalancer",
  "io.k8s.api.core.v1.NodeStatus.daemonEndpoints",
  "io.k8s.api.core.v1.NodeStatus.nodeInfo",
]);

const KIND_STRUCTS: ReadonlySet<string> = new Set(["metadata", "spec", "status"]);
const cache = new WeakMap<ObjectSchema, Record<string, unknown>>();

function zeroOf(schema: Schema, depth: number): unknown {
  const s = resolve(schema);
  switch (s.type) {
    case "object":
      return depth > 12 ? {} : zeroStruct(s, depth + 1);
    case "string":
    case "bytes":
      return "";
    case "integer":
    case "number":
      return 0;
    case "boolean":
      return false;
    case "quantity":
      return "0";
    case "intOrString":
      return 0;
    default:
      // Slices, maps, times and raw extensions: nil, which Go writes as null.
      return null;
  }
}

function zeroStruct(schema: ObjectSchema, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const kind = schema.gvk !== undefined && schema.gvk.length > 0;
  for (const [name, f] of Object.entries(schema.fields)) {
    const fs = resolve(f.schema);
    const struct = fs.type === "object";
    const present = f.required ||
      (struct && kind && KIND_STRUCTS.has(name)) ||
      (struct && fs.name === OBJECT_META) ||
      NON_POINTER_STRUCTS.has(`${schema.name}.${name}`);
    if (present) out[name] = zeroOf(f.schema, depth);
  }
  return out;
}

/** Go's zero value of the kind `schema`, as JSON (shared: never modify it). */
export function zeroObject(schema: ObjectSchema): Record<string, unknown> {
  let z = cache.get(schema);
  if (z === undefined) {
    z = zeroStruct(schema, 0);
    // apiVersion and kind are written by the encoder, not part of the comparison.
    delete z.apiVersion;
    delete z.kind;
    cache.set(schema, z);
  }
  return z;
}
