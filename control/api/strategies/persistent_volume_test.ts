import assert from "node:assert/strict";
import { FakeClock } from "../../util/clock.ts";
import type { PersistentVolume } from "../types/core_v1_storage.ts";
import {
  createPersistentVolumeStrategy,
  MOUNT_OPTIONS_ANNOTATION,
  persistentVolumeStrategy,
  preparePersistentVolumeStatusUpdate,
} from "./persistent_volume.ts";

function pv(
  spec: PersistentVolume["spec"],
  extra: Partial<PersistentVolume> = {},
): PersistentVolume {
  return { metadata: { name: "pv1" }, ...extra, ...(spec ? { spec } : {}) };
}

const BASE = { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce" as const] };

Deno.test("persistentVolumeStrategy defaults the reclaim policy and volume mode", () => {
  const obj = pv({ ...BASE, hostPath: { path: "/data" } });
  persistentVolumeStrategy.default!(obj);
  assert.equal(obj.spec?.persistentVolumeReclaimPolicy, "Retain");
  assert.equal(obj.spec?.volumeMode, "Filesystem");
});

Deno.test("createPersistentVolumeStrategy() starts volumes Pending at the clock's time", () => {
  const clock = new FakeClock(Date.UTC(2025, 0, 2, 3, 4, 5, 678));
  const strategy = createPersistentVolumeStrategy({ clock });
  const obj = pv({ ...BASE, hostPath: { path: "/data" } }, { status: { phase: "Bound" } });
  strategy.prepareForCreate!(obj);
  assert.deepEqual(obj.status, {
    phase: "Pending",
    lastPhaseTransitionTime: "2025-01-02T03:04:05Z",
  });
});

Deno.test("persistentVolumeStrategy.validate() reports upstream's messages", async (t) => {
  const cases: [string, PersistentVolume["spec"], string[]][] = [
    ["hostPath", { ...BASE, hostPath: { path: "/data" } }, []],
    ["no source", { ...BASE }, ["spec: Required value: must specify a volume type"]],
    ["two sources", { ...BASE, hostPath: { path: "/a" }, nfs: { server: "s", path: "/x" } }, [
      "spec.nfs: Forbidden: may not specify more than 1 volume type",
    ]],
    ["no access modes or capacity", { hostPath: { path: "/a" } }, [
      "spec.accessModes: Required value",
      "spec.capacity: Required value",
      'spec.capacity: Unsupported value: {}: supported values: "storage"',
    ]],
    ["zero capacity", { ...BASE, capacity: { storage: "0" }, hostPath: { path: "/a" } }, [
      'spec.capacity[storage]: Invalid value: "0": must be greater than zero',
    ]],
    ["ReadWriteOncePod mixed", {
      ...BASE,
      accessModes: ["ReadWriteOncePod", "ReadOnlyMany"],
      hostPath: { path: "/a" },
    }, ["spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"]],
    ["local without affinity", { ...BASE, local: { path: "/mnt/disk" } }, [
      "spec.nodeAffinity: Required value: Local volume requires node affinity",
    ]],
    ["local with affinity", {
      ...BASE,
      local: { path: "/mnt/disk" },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [{
            matchExpressions: [{
              key: "kubernetes.io/hostname",
              operator: "In",
              values: ["edge-1"],
            }],
          }],
        },
      },
    }, []],
    ["empty affinity", { ...BASE, local: { path: "/mnt" }, nodeAffinity: {} }, [
      "spec.nodeAffinity.required: Required value: must specify required node constraints",
    ]],
    ["relative NFS path", { ...BASE, nfs: { server: "nas", path: "export" } }, [
      'spec.nfs.path: Invalid value: "export": must be an absolute path',
    ]],
    ["hostPath with backsteps", { ...BASE, hostPath: { path: "/a/../b" } }, [
      "spec.hostPath.path: Invalid value: \"/a/../b\": must not contain '..'",
    ]],
    ["recycling /", {
      ...BASE,
      hostPath: { path: "/" },
      persistentVolumeReclaimPolicy: "Recycle",
    }, [
      "spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for a hostPath mount of '/'",
    ]],
    ["CSI", {
      ...BASE,
      csi: { driver: "", volumeHandle: "", nodePublishSecretRef: { name: "s" } },
    }, [
      "spec.csi.driver: Required value",
      `spec.csi.driver: Invalid value: "": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      "spec.csi.volumeHandle: Required value",
      "spec.csi.nodePublishSecretRef.namespace: Required value",
    ]],
    ["iSCSI", { ...BASE, iscsi: { targetPortal: "10.0.0.1:3260", iqn: "bad", lun: 300 } }, [
      'spec.iscsi.iqn: Invalid value: "bad": must be valid format',
      "spec.iscsi.lun: Invalid value: 300: must be between 0 and 255, inclusive",
    ]],
  ];
  for (const [name, spec, want] of cases) {
    await t.step(name, () => {
      const obj = pv(spec);
      persistentVolumeStrategy.default!(obj);
      assert.deepEqual(persistentVolumeStrategy.validate!(obj).map(String), want);
    });
  }
});

Deno.test("persistentVolumeStrategy.validate() forbids mount options where the plugin lacks them", () => {
  const obj = pv({ ...BASE, hostPath: { path: "/a" } }, {
    metadata: { name: "pv1", annotations: { [MOUNT_OPTIONS_ANNOTATION]: "ro" } },
  });
  assert.deepEqual(persistentVolumeStrategy.validate!(obj).map(String), [
    `metadata.annotations.${MOUNT_OPTIONS_ANNOTATION}: Forbidden: may not specify mount options for this volume type`,
  ]);
});

Deno.test("persistentVolumeStrategy.validateUpdate() keeps the source and volume mode", () => {
  const old = pv({ ...BASE, nfs: { server: "nas", path: "/a" }, volumeMode: "Filesystem" });
  const same = pv({
    ...BASE,
    capacity: { storage: "2Gi" },
    nfs: { server: "nas", path: "/a" },
    volumeMode: "Filesystem",
  });
  assert.deepEqual(persistentVolumeStrategy.validateUpdate!(same, old), []);
  const changed = pv({ ...BASE, nfs: { server: "nas2", path: "/a" }, volumeMode: "Block" });
  const errs = persistentVolumeStrategy.validateUpdate!(changed, old).map(String);
  assert.equal(errs.length, 2);
  assert.ok(errs[0]!.startsWith(
    "spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation\n",
  ));
  assert.equal(errs[1], 'volumeMode: Invalid value: "Block": field is immutable');
});

Deno.test("persistentVolumeStrategy.validateUpdate() lets a CSI volume gain an expand secret", () => {
  const csi = { driver: "csi.example.com", volumeHandle: "v1" };
  const old = pv({ ...BASE, csi });
  const obj = pv({
    ...BASE,
    csi: { ...csi, controllerExpandSecretRef: { name: "s", namespace: "n" } },
  });
  assert.deepEqual(persistentVolumeStrategy.validateUpdate!(obj, old), []);
});

Deno.test("persistentVolumeStrategy.validateUpdate() allows only beta-to-GA affinity changes", () => {
  const affinity = (key: string) => ({
    required: {
      nodeSelectorTerms: [{ matchExpressions: [{ key, operator: "In", values: ["a"] }] }],
    },
  });
  const old = pv({
    ...BASE,
    local: { path: "/m" },
    nodeAffinity: affinity("failure-domain.beta.kubernetes.io/zone"),
  });
  const ga = pv({
    ...BASE,
    local: { path: "/m" },
    nodeAffinity: affinity("topology.kubernetes.io/zone"),
  });
  assert.deepEqual(persistentVolumeStrategy.validateUpdate!(ga, old), []);
  const other = pv({ ...BASE, local: { path: "/m" }, nodeAffinity: affinity("example.com/rack") });
  const errs = persistentVolumeStrategy.validateUpdate!(other, old).map(String);
  assert.equal(errs.length, 1);
  assert.ok(errs[0]!.endsWith("field is immutable, except for updating from beta label to GA"));
});

Deno.test("preparePersistentVolumeStatusUpdate() stamps phase transitions", () => {
  const old = pv(undefined, { status: { phase: "Available" } });
  const obj = pv(undefined, { status: { phase: "Bound" } });
  preparePersistentVolumeStatusUpdate(obj, { old, now: Date.UTC(2025, 5, 1) });
  assert.equal(obj.status?.lastPhaseTransitionTime, "2025-06-01T00:00:00Z");
  const same = pv(undefined, { status: { phase: "Available" } });
  preparePersistentVolumeStatusUpdate(same, { old, now: 0 });
  assert.equal(same.status?.lastPhaseTransitionTime, undefined);
  assert.deepEqual(persistentVolumeStrategy.validateStatusUpdate!(same, old).map(String), [
    "resourceVersion: Required value",
  ]);
});

Deno.test("createPersistentVolumeStrategy().prepareForStatusUpdate() stamps phase changes", () => {
  const clock = new FakeClock(Date.UTC(2025, 5, 1, 1, 2, 3));
  const strategy = createPersistentVolumeStrategy({ clock });
  const old = pv(undefined, { status: { phase: "Available" } });
  const obj = pv(undefined, { status: { phase: "Released" } });
  strategy.prepareForStatusUpdate!(obj, old);
  assert.equal(obj.status?.lastPhaseTransitionTime, "2025-06-01T01:02:03Z");
});
