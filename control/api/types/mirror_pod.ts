/**
 * Mirror pods: the API's copies of a node's static pods, marked with an annotation. Apart from
 * the Pod schema (`core_v1_pod.ts` re-exports these) so that the node agent, which only needs
 * to recognise them, does not load the schema.
 *
 * @example Recognise a mirror pod
 * ```ts
 * import assert from "node:assert/strict";
 * import { isMirrorPod, MIRROR_POD_ANNOTATION } from "./mirror_pod.ts";
 *
 * assert.equal(isMirrorPod({ metadata: { annotations: { [MIRROR_POD_ANNOTATION]: "h" } } }), true);
 * assert.equal(isMirrorPod({ metadata: {} }), false);
 * ```
 *
 * @module
 */

/** The annotation marking a mirror pod: the API's copy of a node's static pod. */
export const MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror";

/** Whether `pod` is a mirror pod: the API's copy of a static pod (it has the annotation). */
export function isMirrorPod(
  pod: { readonly metadata?: { readonly annotations?: unknown } },
): boolean {
  const annotations = pod.metadata?.annotations;
  return typeof annotations === "object" && annotations !== null &&
    Object.hasOwn(annotations, MIRROR_POD_ANNOTATION);
}
