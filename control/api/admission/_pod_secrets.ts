/**
 * The Secrets a pod references (upstream `podutil.VisitPodSecretNames` over all containers):
 * image pull secrets, `env`/`envFrom` of every container kind, and the volumes that name a
 * Secret (secret, projected secret, and the credentials of the volume plugins).
 *
 * @module
 */
import type { Container, EphemeralContainer, Pod } from "../types/core_v1_pod.ts";

type EnvHolder = Pick<Container | EphemeralContainer, "env" | "envFrom">;

function fromContainers(out: string[], containers: readonly EnvHolder[] | undefined): void {
  for (const c of containers ?? []) {
    for (const from of c.envFrom ?? []) {
      if (from.secretRef) out.push(from.secretRef.name ?? "");
    }
    for (const env of c.env ?? []) {
      const ref = env.valueFrom?.secretKeyRef;
      if (ref) out.push(ref.name ?? "");
    }
  }
}

/** Every Secret name `pod` references, in upstream's visiting order (repeats kept). */
export function podSecretNames(pod: Pod): string[] {
  const out: string[] = [];
  const spec = pod.spec;
  for (const ref of spec?.imagePullSecrets ?? []) out.push(ref.name ?? "");
  fromContainers(out, spec?.initContainers);
  fromContainers(out, spec?.containers);
  fromContainers(out, spec?.ephemeralContainers);
  for (const v of spec?.volumes ?? []) {
    if (v.azureFile?.secretName) out.push(v.azureFile.secretName);
    if (v.cephfs?.secretRef) out.push(v.cephfs.secretRef.name ?? "");
    if (v.cinder?.secretRef) out.push(v.cinder.secretRef.name ?? "");
    if (v.flexVolume?.secretRef) out.push(v.flexVolume.secretRef.name ?? "");
    for (const s of v.projected?.sources ?? []) {
      if (s.secret) out.push(s.secret.name ?? "");
    }
    if (v.rbd?.secretRef) out.push(v.rbd.secretRef.name ?? "");
    if (v.secret) out.push(v.secret.secretName ?? "");
    if (v.scaleIO?.secretRef) out.push(v.scaleIO.secretRef.name ?? "");
    if (v.iscsi?.secretRef) out.push(v.iscsi.secretRef.name ?? "");
    if (v.storageos?.secretRef) out.push(v.storageos.secretRef.name ?? "");
    if (v.csi?.nodePublishSecretRef) out.push(v.csi.nodePublishSecretRef.name ?? "");
  }
  return out;
}
