/**
 * The ConfigMaps and Secrets a pod uses, by name in its namespace: through volumes (`configMap`,
 * `secret`, and `projected` sources), environment variables of every container kind
 * (`valueFrom.configMapKeyRef`, `valueFrom.secretKeyRef`, `envFrom`), and `imagePullSecrets`.
 * Optional references count too: the object is kept while a pod names it.
 *
 * @example The names a pod references
 * ```ts
 * import assert from "node:assert/strict";
 * import { podConfigMapNames, podSecretNames } from "./pod_references.ts";
 *
 * const pod = {
 *   spec: {
 *     containers: [{ name: "app", envFrom: [{ configMapRef: { name: "settings" } }] }],
 *     imagePullSecrets: [{ name: "registry" }],
 *   },
 * };
 * assert.deepEqual([...podConfigMapNames(pod)], ["settings"]);
 * assert.deepEqual([...podSecretNames(pod)], ["registry"]);
 * ```
 *
 * @module
 */
import type { Container, EphemeralContainer, Pod } from "../../control/api/types/core_v1_pod.ts";

function containersOf(pod: Pod): Array<Container | EphemeralContainer> {
  const spec = pod.spec;
  return [
    ...(spec?.initContainers ?? []),
    ...(spec?.containers ?? []),
    ...(spec?.ephemeralContainers ?? []),
  ];
}

function add(names: Set<string>, name: string | undefined | null): void {
  if (name) names.add(name);
}

/** The names of the ConfigMaps `pod` references. */
export function podConfigMapNames(pod: Pod): Set<string> {
  const names = new Set<string>();
  for (const v of pod.spec?.volumes ?? []) {
    add(names, v.configMap?.name);
    for (const s of v.projected?.sources ?? []) add(names, s.configMap?.name);
  }
  for (const c of containersOf(pod)) {
    for (const e of c.env ?? []) add(names, e.valueFrom?.configMapKeyRef?.name);
    for (const e of c.envFrom ?? []) add(names, e.configMapRef?.name);
  }
  return names;
}

/** The names of the Secrets `pod` references. */
export function podSecretNames(pod: Pod): Set<string> {
  const names = new Set<string>();
  for (const s of pod.spec?.imagePullSecrets ?? []) add(names, s.name);
  for (const v of pod.spec?.volumes ?? []) {
    add(names, v.secret?.secretName);
    for (const s of v.projected?.sources ?? []) add(names, s.secret?.name);
  }
  for (const c of containersOf(pod)) {
    for (const e of c.env ?? []) add(names, e.valueFrom?.secretKeyRef?.name);
    for (const e of c.envFrom ?? []) add(names, e.secretRef?.name);
  }
  return names;
}
