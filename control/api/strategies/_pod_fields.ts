/**
 * Upstream's `DropDisabledPodFields` for the feature gates as they default in v1.33: fields of
 * alpha (or off-by-default beta) features are cleared unless the old object already used them.
 *
 * | gate (1.33 default) | dropped |
 * | --- | --- |
 * | PodLevelResources (off) | `spec.resources` |
 * | ContainerStopSignals (off) | `lifecycle.stopSignal`, container status `stopSignal` |
 * | ImageVolume (beta, off) | image volumes and the mounts of them |
 * | ClusterTrustBundleProjection (off) | projected `clusterTrustBundle` sources |
 * | DynamicResourceAllocation (beta, off) | `spec.resourceClaims`, `resources.claims`, `status.resourceClaimStatuses` |
 * | PodObservedGenerationTracking (off) | `status.observedGeneration`, conditions' `observedGeneration` |
 * | ResourceHealthStatus (off) | container status `allocatedResourcesStatus` |
 *
 * @module
 */
import type { Container, ContainerStatus, PodSpec, PodStatus } from "../types/core_v1_pod.ts";

function allContainers(spec: PodSpec | undefined): Container[] {
  return [
    ...(spec?.initContainers ?? []),
    ...(spec?.containers ?? []),
    ...(spec?.ephemeralContainers ?? []),
  ];
}

function allStatuses(status: PodStatus | undefined): ContainerStatus[] {
  return [
    ...(status?.initContainerStatuses ?? []),
    ...(status?.containerStatuses ?? []),
    ...(status?.ephemeralContainerStatuses ?? []),
  ];
}

/** Clears the fields of features that are off in 1.33, unless `old` uses them. */
export function dropDisabledPodSpecFields(spec: PodSpec, old: PodSpec | undefined): void {
  if (spec.resources !== undefined && old?.resources === undefined) delete spec.resources;

  if (!allContainers(old).some((c) => c.lifecycle?.stopSignal !== undefined)) {
    for (const c of allContainers(spec)) {
      if (c.lifecycle?.stopSignal !== undefined) delete c.lifecycle.stopSignal;
    }
  }

  if (!(old?.volumes ?? []).some((v) => v.image !== undefined)) {
    const dropped = new Set(
      (spec.volumes ?? []).filter((v) => v.image !== undefined).map((v) => v.name),
    );
    if (dropped.size > 0) {
      spec.volumes = (spec.volumes ?? []).filter((v) => !dropped.has(v.name));
      if (spec.volumes.length === 0) delete spec.volumes;
      for (const c of allContainers(spec)) {
        if (!c.volumeMounts) continue;
        c.volumeMounts = c.volumeMounts.filter((m) => !dropped.has(m.name));
        if (c.volumeMounts.length === 0) delete c.volumeMounts;
      }
    }
  }

  const ctbInUse = (old?.volumes ?? []).some((v) =>
    (v.projected?.sources ?? []).some((s) => s.clusterTrustBundle !== undefined)
  );
  if (!ctbInUse) {
    for (const v of spec.volumes ?? []) {
      for (const s of v.projected?.sources ?? []) delete s.clusterTrustBundle;
    }
  }

  const draInUse = (old?.resourceClaims ?? []).length > 0 ||
    allContainers(old).some((c) => (c.resources?.claims ?? []).length > 0);
  if (!draInUse) {
    delete spec.resourceClaims;
    for (const c of allContainers(spec)) {
      if (c.resources?.claims !== undefined) delete c.resources.claims;
    }
  }
}

/** Clears the status fields of features that are off in 1.33, unless `old` uses them. */
export function dropDisabledPodStatusFields(
  status: PodStatus | undefined,
  options: { readonly old: PodStatus | undefined; readonly oldSpec: PodSpec | undefined },
): void {
  if (status === undefined) return;
  const { old } = options;
  const generationInUse = old?.observedGeneration !== undefined ||
    (old?.conditions ?? []).some((c) => c.observedGeneration !== undefined);
  if (!generationInUse) {
    delete status.observedGeneration;
    for (const c of status.conditions ?? []) delete c.observedGeneration;
  }
  if (!allStatuses(old).some((s) => s.stopSignal !== undefined)) {
    for (const s of allStatuses(status)) delete s.stopSignal;
  }
  if (!allStatuses(old).some((s) => s.allocatedResourcesStatus !== undefined)) {
    for (const s of allStatuses(status)) delete s.allocatedResourcesStatus;
  }
  const draInUse = (options.oldSpec?.resourceClaims ?? []).length > 0 ||
    (old?.resourceClaimStatuses ?? []).length > 0;
  if (!draInUse) delete status.resourceClaimStatuses;
}
