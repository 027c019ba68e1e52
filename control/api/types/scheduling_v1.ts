/**
 * `scheduling.k8s.io/v1`: PriorityClass. Field numbers from upstream
 * `k8s.io/api/scheduling/v1/generated.proto`.
 *
 * @module
 */
import { objectFields } from "./meta_v1.ts";
import {
  boolean,
  enumOf,
  field,
  type Infer,
  int32,
  object,
  requiredField,
  string,
} from "./schema.ts";

const SCHEDULING = "io.k8s.api.scheduling.v1";

/** The preemption policies (core/v1 `PreemptionPolicy`). */
export const PREEMPTION_POLICIES = ["PreemptLowerPriority", "Never"] as const;

/** A PriorityClass: a name for a pod priority value. */
export const PriorityClass = object(`${SCHEDULING}.PriorityClass`, {
  description:
    "Maps a class name to a pod priority; pods name it in priorityClassName and get its value.",
  gvk: [{ group: "scheduling.k8s.io", version: "v1", kind: "PriorityClass" }],
  fields: {
    ...objectFields,
    value: requiredField(int32(), {
      description:
        "The priority of pods of this class; at most 1000000000 for user classes (larger values are for system classes). Immutable.",
      proto: 2,
    }),
    globalDefault: field(boolean(), {
      description:
        "Use this class for pods without a priorityClassName; at most one class may set it.",
      proto: 3,
    }),
    description: field(string(), {
      description: "When to use this class.",
      proto: 4,
    }),
    preemptionPolicy: field(enumOf(PREEMPTION_POLICIES), {
      description:
        "Whether pods of this class preempt lower-priority pods: PreemptLowerPriority (the default) or Never. Immutable.",
      proto: 5,
      keepZero: true,
      default: "PreemptLowerPriority",
    }),
  },
});

/** TypeScript type of {@linkcode PriorityClass}. */
export type PriorityClass = Infer<typeof PriorityClass>;
