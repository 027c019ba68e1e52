import assert from "node:assert/strict";
import {
  Binding,
  ConfigMapVolumeSource,
  Container,
  EphemeralContainer,
  EphemeralContainerCommon,
  Pod,
  PodSpec,
  PodStatus,
  PodTemplate,
  Probe,
  ProbeHandler,
  Volume,
  VOLUME_SOURCE_FIELDS,
  VolumeSource,
} from "./core_v1_pod.ts";
import { ConfigMapKeySelector, EMBEDDED_LOCAL_OBJECT_REFERENCE } from "./core_v1_common.ts";
import type { Field } from "./schema.ts";

type Fields = Readonly<Record<string, Field>>;

Deno.test("PodSpec list fields carry upstream patch strategies, merge keys and list types", async (t) => {
  const cases: {
    fields: Fields;
    name: string;
    strategy?: string;
    key?: string;
    listType: string;
    mapKeys?: string[];
  }[] = [
    {
      fields: PodSpec.fields,
      name: "containers",
      strategy: "merge",
      key: "name",
      listType: "map",
      mapKeys: ["name"],
    },
    {
      fields: PodSpec.fields,
      name: "initContainers",
      strategy: "merge",
      key: "name",
      listType: "map",
      mapKeys: ["name"],
    },
    {
      fields: PodSpec.fields,
      name: "ephemeralContainers",
      strategy: "merge",
      key: "name",
      listType: "map",
      mapKeys: ["name"],
    },
    {
      fields: PodSpec.fields,
      name: "volumes",
      strategy: "merge,retainKeys",
      key: "name",
      listType: "map",
      mapKeys: ["name"],
    },
    {
      fields: PodSpec.fields,
      name: "imagePullSecrets",
      strategy: "merge",
      key: "name",
      listType: "map",
      mapKeys: ["name"],
    },
    {
      fields: PodSpec.fields,
      name: "hostAliases",
      strategy: "merge",
      key: "ip",
      listType: "map",
      mapKeys: ["ip"],
    },
    {
      fields: PodSpec.fields,
      name: "topologySpreadConstraints",
      strategy: "merge",
      key: "topologyKey",
      listType: "map",
      mapKeys: ["topologyKey", "whenUnsatisfiable"],
    },
    {
      fields: PodSpec.fields,
      name: "schedulingGates",
      strategy: "merge",
      key: "name",
      listType: "map",
      mapKeys: ["name"],
    },
    {
      fields: PodSpec.fields,
      name: "resourceClaims",
      strategy: "merge,retainKeys",
      key: "name",
      listType: "map",
      mapKeys: ["name"],
    },
    { fields: PodSpec.fields, name: "tolerations", listType: "atomic" },
    { fields: PodSpec.fields, name: "readinessGates", listType: "atomic" },
    {
      fields: Container.fields,
      name: "ports",
      strategy: "merge",
      key: "containerPort",
      listType: "map",
      mapKeys: ["containerPort", "protocol"],
    },
    {
      fields: Container.fields,
      name: "env",
      strategy: "merge",
      key: "name",
      listType: "map",
      mapKeys: ["name"],
    },
    {
      fields: Container.fields,
      name: "volumeMounts",
      strategy: "merge",
      key: "mountPath",
      listType: "map",
      mapKeys: ["mountPath"],
    },
    {
      fields: Container.fields,
      name: "volumeDevices",
      strategy: "merge",
      key: "devicePath",
      listType: "map",
      mapKeys: ["devicePath"],
    },
    { fields: Container.fields, name: "envFrom", listType: "atomic" },
    {
      fields: PodStatus.fields,
      name: "conditions",
      strategy: "merge",
      key: "type",
      listType: "map",
      mapKeys: ["type"],
    },
    {
      fields: PodStatus.fields,
      name: "podIPs",
      strategy: "merge",
      key: "ip",
      listType: "map",
      mapKeys: ["ip"],
    },
    { fields: PodStatus.fields, name: "hostIPs", strategy: "merge", key: "ip", listType: "atomic" },
    { fields: PodStatus.fields, name: "containerStatuses", listType: "atomic" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const f = c.fields[c.name]!;
      assert.equal(f.patchStrategy, c.strategy);
      assert.equal(f.patchMergeKey, c.key);
      assert.equal(f.schema.type, "array");
      const s = f.schema as { listType?: string; listMapKeys?: readonly string[] };
      assert.equal(s.listType, c.listType);
      assert.deepEqual(s.listMapKeys, c.mapKeys);
    });
  }
});

Deno.test("Pod kinds declare core/v1 GVKs and upstream field numbers", () => {
  assert.deepEqual(Pod.gvk, [{ group: "", version: "v1", kind: "Pod" }]);
  assert.deepEqual(PodTemplate.gvk, [{ group: "", version: "v1", kind: "PodTemplate" }]);
  assert.deepEqual(Binding.gvk, [{ group: "", version: "v1", kind: "Binding" }]);
  assert.equal(Pod.fields.spec.proto, 2);
  assert.equal(Pod.fields.status.proto, 3);
  assert.equal(Binding.fields.target.required, true);
  assert.equal(PodSpec.fields.containers.required, true);
  assert.equal(PodSpec.fields.ephemeralContainers.proto, 34);
  assert.equal(PodSpec.fields.resources.proto, 40);
  assert.equal(PodStatus.fields.observedGeneration.proto, 17);
  assert.equal(Container.fields.resizePolicy.proto, 23);
  assert.equal(Container.fields.restartPolicy.proto, 24);
});

Deno.test("Volume inlines every 1.33 volume source without field numbers", () => {
  assert.equal(VOLUME_SOURCE_FIELDS.length, 30);
  for (const name of VOLUME_SOURCE_FIELDS) {
    assert.ok(name in Volume.fields, name);
    assert.equal((Volume.fields as Fields)[name]!.proto, undefined, name);
    assert.equal(typeof (VolumeSource.fields as Fields)[name]!.proto, "number", name);
  }
  assert.equal(Volume.fields.name.proto, 1);
  assert.equal(VolumeSource.fields.image.proto, 30);
  assert.equal(VolumeSource.fields.projected.proto, 26);
});

Deno.test("protoInline says where inlined structs go in protobuf", () => {
  assert.deepEqual(Volume.protoInline, [{ proto: 2, schema: VolumeSource }]);
  assert.deepEqual(Probe.protoInline, [{ proto: 1, schema: ProbeHandler }]);
  assert.deepEqual(EphemeralContainer.protoInline, [{
    proto: 1,
    schema: EphemeralContainerCommon,
  }]);
  assert.deepEqual(ConfigMapVolumeSource.protoInline, EMBEDDED_LOCAL_OBJECT_REFERENCE);
  assert.deepEqual(ConfigMapKeySelector.protoInline, EMBEDDED_LOCAL_OBJECT_REFERENCE);
  assert.equal(Probe.fields.exec.proto, undefined);
  assert.equal(Probe.fields.initialDelaySeconds.proto, 2);
  assert.equal(EphemeralContainer.fields.targetContainerName.proto, 2);
  assert.equal(EphemeralContainer.fields.image.proto, undefined);
  // The inlined fields sit where Go embeds the struct: a Probe's handler first, a Volume's
  // source after its name.
  assert.deepEqual(Object.keys(Probe.fields).slice(0, 5), [
    "exec",
    "httpGet",
    "tcpSocket",
    "grpc",
    "initialDelaySeconds",
  ]);
  assert.deepEqual(Object.keys(Volume.fields).slice(0, 2), ["name", "hostPath"]);
  assert.deepEqual(Object.keys(ConfigMapKeySelector.fields), ["name", "key", "optional"]);
});

Deno.test("Enums list values in the order upstream prints them", () => {
  assert.deepEqual(PodSpec.fields.restartPolicy.schema.enum, ["Always", "OnFailure", "Never"]);
  assert.deepEqual(PodSpec.fields.dnsPolicy.schema.enum, [
    "ClusterFirstWithHostNet",
    "ClusterFirst",
    "Default",
    "None",
  ]);
  assert.deepEqual(Container.fields.imagePullPolicy.schema.enum, [
    "Always",
    "IfNotPresent",
    "Never",
  ]);
  const port = Container.fields.ports.schema.items;
  assert.deepEqual(port.fields.protocol.schema.enum, ["SCTP", "TCP", "UDP"]);
  assert.equal(port.fields.protocol.default, "TCP");
});
