/**
 * The API objects a pod or a PersistentVolume names — the edges of the Node authorizer's graph
 * (upstream's `VisitPodSecretNames`, `VisitPodConfigmapNames`, `VisitPVSecretNames`).
 *
 * @module
 */
import { type Container, isMirrorPod, type Pod } from "../types/core_v1_pod.ts";
import type { PersistentVolume } from "../types/core_v1_storage.ts";

/** Called with each name; return false to stop visiting. */
export type NameVisitor = (name: string) => boolean;

export { isMirrorPod };

/** Init, regular and ephemeral containers, in that order. */
function* allContainers(pod: Pod): Generator<Pick<Container, "env" | "envFrom">> {
  yield* pod.spec?.initContainers ?? [];
  yield* pod.spec?.containers ?? [];
  yield* pod.spec?.ephemeralContainers ?? [];
}

/** Wraps `visit` so empty names are skipped, as upstream's `skipEmptyNames`. */
function skipEmpty(visit: NameVisitor): (name: string | undefined) => boolean {
  return (name) => !name || visit(name);
}

/**
 * Visits every Secret name `pod` references: image pull secrets, `envFrom`/`env` of every
 * container, and secret-backed volumes (`secret`, projected secrets, CSI `nodePublishSecretRef`
 * and the in-tree plugins' `secretRef`s). Returns false if `visit` stopped early.
 */
export function visitPodSecretNames(pod: Pod, visit: NameVisitor): boolean {
  const v = skipEmpty(visit);
  for (const ref of pod.spec?.imagePullSecrets ?? []) if (!v(ref.name)) return false;
  for (const c of allContainers(pod)) {
    for (const src of c.envFrom ?? []) if (src.secretRef && !v(src.secretRef.name)) return false;
    for (const env of c.env ?? []) {
      const ref = env.valueFrom?.secretKeyRef;
      if (ref && !v(ref.name)) return false;
    }
  }
  for (const vol of pod.spec?.volumes ?? []) {
    let names: (string | undefined)[] = [];
    if (vol.azureFile) names = [vol.azureFile.secretName];
    else if (vol.cephfs) names = [vol.cephfs.secretRef?.name];
    else if (vol.cinder) names = [vol.cinder.secretRef?.name];
    else if (vol.flexVolume) names = [vol.flexVolume.secretRef?.name];
    else if (vol.projected) {
      names = (vol.projected.sources ?? []).filter((s) => s.secret).map((s) => s.secret?.name);
    } else if (vol.rbd) names = [vol.rbd.secretRef?.name];
    else if (vol.secret) names = [vol.secret.secretName];
    else if (vol.scaleIO) names = [vol.scaleIO.secretRef?.name];
    else if (vol.iscsi) names = [vol.iscsi.secretRef?.name];
    else if (vol.storageos) names = [vol.storageos.secretRef?.name];
    else if (vol.csi) names = [vol.csi.nodePublishSecretRef?.name];
    for (const n of names) if (!v(n)) return false;
  }
  return true;
}

/**
 * Visits every ConfigMap name `pod` references: `envFrom`/`env` of every container,
 * `configMap` volumes and projected ConfigMaps. Returns false if `visit` stopped early.
 */
export function visitPodConfigMapNames(pod: Pod, visit: NameVisitor): boolean {
  const v = skipEmpty(visit);
  for (const c of allContainers(pod)) {
    for (const src of c.envFrom ?? []) {
      if (src.configMapRef && !v(src.configMapRef.name)) return false;
    }
    for (const env of c.env ?? []) {
      const ref = env.valueFrom?.configMapKeyRef;
      if (ref && !v(ref.name)) return false;
    }
  }
  for (const vol of pod.spec?.volumes ?? []) {
    if (vol.projected) {
      for (const s of vol.projected.sources ?? []) {
        if (s.configMap && !v(s.configMap.name)) return false;
      }
    } else if (vol.configMap && !v(vol.configMap.name)) {
      return false;
    }
  }
  return true;
}

/**
 * The PersistentVolumeClaims `pod` uses: `persistentVolumeClaim` volumes, and the claims of
 * generic ephemeral volumes (named `<pod>-<volume>`).
 */
export function podClaimNames(pod: Pod): string[] {
  const out: string[] = [];
  for (const vol of pod.spec?.volumes ?? []) {
    if (vol.persistentVolumeClaim) {
      if (vol.persistentVolumeClaim.claimName) out.push(vol.persistentVolumeClaim.claimName);
    } else if (vol.ephemeral) {
      out.push(`${pod.metadata?.name ?? ""}-${vol.name}`);
    }
  }
  return out;
}

/** A Secret a PersistentVolume names. */
export interface SecretRef {
  readonly namespace: string;
  readonly name: string;
}

/**
 * The Secrets the kubelet reads for `pv` (upstream's kubelet-visible `VisitPVSecretNames`):
 * the volume plugin's secret, in its own namespace or else the bound claim's; for CSI the
 * node stage, publish and expand secrets (not the controller ones).
 */
export function pvKubeletSecrets(pv: PersistentVolume): SecretRef[] {
  const spec = pv.spec ?? {};
  const claimNs = spec.claimRef?.namespace ?? "";
  const out: SecretRef[] = [];
  const add = (namespace: string | undefined, name: string | undefined) => {
    if (name) out.push({ namespace: namespace ?? "", name });
  };
  const orClaim = (ns: string | undefined) => ns ? ns : claimNs;
  if (spec.azureFile) add(orClaim(spec.azureFile.secretNamespace), spec.azureFile.secretName);
  else if (spec.cephfs) add(orClaim(spec.cephfs.secretRef?.namespace), spec.cephfs.secretRef?.name);
  else if (spec.cinder) add(spec.cinder.secretRef?.namespace, spec.cinder.secretRef?.name);
  else if (spec.flexVolume) {
    add(orClaim(spec.flexVolume.secretRef?.namespace), spec.flexVolume.secretRef?.name);
  } else if (spec.rbd) add(orClaim(spec.rbd.secretRef?.namespace), spec.rbd.secretRef?.name);
  else if (spec.scaleIO) {
    add(orClaim(spec.scaleIO.secretRef?.namespace), spec.scaleIO.secretRef?.name);
  } else if (spec.iscsi) add(orClaim(spec.iscsi.secretRef?.namespace), spec.iscsi.secretRef?.name);
  else if (spec.storageos) {
    add(spec.storageos.secretRef?.namespace, spec.storageos.secretRef?.name);
  } else if (spec.csi) {
    for (const ref of [spec.csi.nodePublishSecretRef, spec.csi.nodeStageSecretRef]) {
      add(ref?.namespace, ref?.name);
    }
    add(spec.csi.nodeExpandSecretRef?.namespace, spec.csi.nodeExpandSecretRef?.name);
  }
  return out;
}
