import assert from "node:assert/strict";
import {
  CSIPersistentVolumeSource,
  ISCSIPersistentVolumeSource,
  LocalVolumeSource,
  PERSISTENT_VOLUME_SOURCE_NAMES,
  PersistentVolume,
  PersistentVolumeClaim,
  PersistentVolumeClaimStatus,
  PersistentVolumeSource,
  PersistentVolumeSpec,
  PersistentVolumeStatus,
} from "./core_v1_storage.ts";

function protos(fields: Record<string, { proto?: number }>): Record<string, number | undefined> {
  return Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.proto]));
}

Deno.test("PersistentVolumeSpec inlines its source without field numbers", () => {
  const spec = protos(PersistentVolumeSpec.fields);
  for (const name of PERSISTENT_VOLUME_SOURCE_NAMES) assert.equal(spec[name], undefined, name);
  assert.deepEqual(
    [spec.capacity, spec.accessModes, spec.claimRef, spec.persistentVolumeReclaimPolicy],
    [1, 3, 4, 5],
  );
  assert.deepEqual(
    [spec.storageClassName, spec.mountOptions, spec.volumeMode, spec.nodeAffinity],
    [6, 7, 8, 9],
  );
  assert.equal(spec.volumeAttributesClassName, 10);
  assert.deepEqual(PersistentVolumeSpec.protoInline, [{
    proto: 2,
    schema: PersistentVolumeSource,
  }]);
  // In JSON the source members follow capacity, where Go embeds the struct.
  assert.deepEqual(Object.keys(PersistentVolumeSpec.fields).slice(0, 3), [
    "capacity",
    "gcePersistentDisk",
    "awsElasticBlockStore",
  ]);
});

Deno.test("PersistentVolumeSource numbers its members as upstream's message", () => {
  const p = protos(PersistentVolumeSource.fields);
  assert.equal(p.gcePersistentDisk, 1);
  assert.equal(p.hostPath, 3);
  assert.equal(p.nfs, 5);
  assert.equal(p.iscsi, 7);
  assert.equal(p.local, 20);
  assert.equal(p.csi, 22);
  assert.equal(PERSISTENT_VOLUME_SOURCE_NAMES.length, 22);
});

Deno.test("PV-only sources carry upstream field numbers and required fields", () => {
  assert.deepEqual(protos(ISCSIPersistentVolumeSource.fields), {
    targetPortal: 1,
    iqn: 2,
    lun: 3,
    iscsiInterface: 4,
    fsType: 5,
    readOnly: 6,
    portals: 7,
    chapAuthDiscovery: 8,
    chapAuthSession: 11,
    secretRef: 10,
    initiatorName: 12,
  });
  assert.deepEqual(
    Object.entries(CSIPersistentVolumeSource.fields).filter(([, f]) => f.required).map(([k]) => k),
    ["driver", "volumeHandle"],
  );
  assert.equal(CSIPersistentVolumeSource.fields.nodeExpandSecretRef.proto, 10);
  assert.equal(LocalVolumeSource.fields.path.required, true);
});

Deno.test("PersistentVolume defaults and statuses are upstream's", () => {
  assert.equal(PersistentVolumeSpec.fields.persistentVolumeReclaimPolicy.default, "Retain");
  assert.equal(PersistentVolumeSpec.fields.volumeMode.default, "Filesystem");
  assert.equal(PersistentVolumeStatus.fields.phase.default, "Pending");
  assert.equal(PersistentVolumeStatus.fields.lastPhaseTransitionTime.proto, 4);
  assert.equal(PersistentVolumeClaimStatus.fields.phase.default, "Pending");
  assert.equal(PersistentVolumeClaimStatus.fields.allocatedResourceStatuses.proto, 7);
  assert.equal(PersistentVolumeClaimStatus.fields.modifyVolumeStatus.proto, 9);
  assert.equal(PersistentVolumeClaimStatus.fields.conditions.patchMergeKey, "type");
  assert.equal(PersistentVolume.gvk?.[0]?.kind, "PersistentVolume");
  assert.equal(
    PersistentVolumeClaim.fields.spec.schema.name,
    "io.k8s.api.core.v1.PersistentVolumeClaimSpec",
  );
});
