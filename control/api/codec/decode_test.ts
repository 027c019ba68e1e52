import assert from "node:assert/strict";
import {
  any,
  array,
  boolean,
  bytes,
  double,
  enumOf,
  field,
  int32,
  int64,
  intOrString,
  map,
  microTime,
  object,
  quantity,
  requiredField,
  string,
  time,
} from "../types/schema.ts";
import { objectFields, ObjectMeta } from "../types/meta_v1.ts";
import { QUANTITY_FORMAT_ERROR } from "../types/quantity.ts";
import {
  decodeObject,
  duplicateFieldWarning,
  formatStrictErrors,
  strictDecodingMessage,
  unknownFieldWarning,
} from "./decode.ts";
import { parseJsonBody } from "./json_body.ts";
import { parseYamlBody } from "./yaml_body.ts";

const d = { description: "" };

const ContainerPort = object("io.k8s.api.core.v1.ContainerPort", {
  description: "",
  fields: {
    containerPort: requiredField(int32(), d),
    protocol: field(enumOf(["TCP", "UDP", "SCTP"]), { ...d, default: "TCP" }),
  },
});
const Container = object("io.k8s.api.core.v1.Container", {
  description: "",
  fields: {
    name: requiredField(string(), d),
    image: field(string(), d),
    imagePullPolicy: field(string(), d),
    ports: field(array(ContainerPort), d),
    resources: field(
      object("io.k8s.api.core.v1.ResourceRequirements", {
        description: "",
        fields: { limits: field(map(quantity()), d), requests: field(map(quantity()), d) },
      }),
      d,
    ),
    env: field(
      array(object("io.k8s.api.core.v1.EnvVar", {
        description: "",
        fields: { name: requiredField(string(), d), value: field(string(), d) },
      })),
      d,
    ),
  },
});
const PodSpec = object("io.k8s.api.core.v1.PodSpec", {
  description: "",
  fields: {
    containers: requiredField(array(Container), d),
    restartPolicy: field(string(), { ...d, default: "Always" }),
    hostNetwork: field(boolean(), d),
    activeDeadlineSeconds: field(int64(), d),
  },
});
const Template = object("io.k8s.api.core.v1.PodTemplateSpec", {
  description: "",
  fields: { metadata: field(ObjectMeta, d), spec: field(PodSpec, d) },
});
const DeploymentSpec = object("io.k8s.api.apps.v1.DeploymentSpec", {
  description: "",
  fields: {
    replicas: field(int32(), d),
    paused: field(boolean(), d),
    selector: field(any({ shape: "object" }), d),
    template: requiredField(Template, d),
    maxSurge: field(intOrString(), d),
  },
});
const Deployment = object("io.k8s.api.apps.v1.Deployment", {
  description: "",
  gvk: [{ group: "apps", version: "v1", kind: "Deployment" }],
  fields: { ...objectFields, spec: field(DeploymentSpec, d) },
});

const INVALID_JSON = `{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {
    "name": "dupename",
    "name": "web",
    "labels": {"app": "nginx"},
    "unknownMeta": "metaVal"
  },
  "spec": {
    "unknown1": "val1",
    "unknownDupe": "valDupe",
    "unknownDupe": "valDupe2",
    "paused": true,
    "paused": false,
    "selector": {"matchLabels": {"app": "nginx"}},
    "template": {
      "metadata": {"labels": {"app": "nginx"}},
      "spec": {
        "containers": [{
          "name": "nginx",
          "image": "nginx:latest",
          "unknownNested": "val1",
          "imagePullPolicy": "Always",
          "imagePullPolicy": "Never"
        }]
      }
    }
  }
}`;

const INVALID_YAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: dupename
  name: web
  unknownMeta: metaVal
  labels:
    app: nginx
spec:
  unknown1: val1
  unknownDupe: valDupe
  unknownDupe: valDupe2
  paused: true
  paused: false
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:latest
        unknownNested: val1
        imagePullPolicy: Always
        imagePullPolicy: Never`;

Deno.test("decodeObject() reports strict errors in upstream's order for a JSON body", () => {
  const body = parseJsonBody(INVALID_JSON);
  const r = decodeObject(Deployment, { fieldValidation: "Strict", body });
  assert.deepEqual(r.errors, []);
  assert.equal(
    formatStrictErrors(r.strictErrors),
    'strict decoding error: duplicate field "metadata.name", unknown field "metadata.unknownMeta", unknown field "spec.unknown1", unknown field "spec.unknownDupe", duplicate field "spec.paused", unknown field "spec.template.spec.containers[0].unknownNested", duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
  );
  assert.deepEqual(r.unknownFields, [
    "metadata.unknownMeta",
    "spec.unknown1",
    "spec.unknownDupe",
    "spec.template.spec.containers[0].unknownNested",
  ]);
  assert.deepEqual(r.warnings, []);
  const obj = r.object as {
    metadata: Record<string, unknown>;
    spec: { paused: boolean; template: { spec: { containers: Record<string, unknown>[] } } };
  };
  assert.equal(obj.metadata.name, "web");
  assert.equal("unknownMeta" in obj.metadata, false);
  assert.equal(obj.spec.paused, false);
  assert.deepEqual(obj.spec.template.spec.containers[0], {
    name: "nginx",
    image: "nginx:latest",
    imagePullPolicy: "Never",
  });
});

Deno.test("decodeObject() reports strict errors in upstream's order for a YAML body", () => {
  const body = parseYamlBody(INVALID_YAML);
  const strict = decodeObject(Deployment, { fieldValidation: "Strict", body });
  assert.equal(
    formatStrictErrors(strict.strictErrors),
    `strict decoding error: yaml: unmarshal errors:
  line 5: key "name" already set in map
  line 12: key "unknownDupe" already set in map
  line 14: key "paused" already set in map
  line 28: key "imagePullPolicy" already set in map, unknown field "metadata.unknownMeta", unknown field "spec.template.spec.containers[0].unknownNested", unknown field "spec.unknown1", unknown field "spec.unknownDupe"`,
  );
  const warn = decodeObject(Deployment, { fieldValidation: "Warn", body });
  assert.deepEqual(warn.warnings, [
    'line 5: key "name" already set in map',
    'line 12: key "unknownDupe" already set in map',
    'line 14: key "paused" already set in map',
    'line 28: key "imagePullPolicy" already set in map',
    'unknown field "metadata.unknownMeta"',
    'unknown field "spec.template.spec.containers[0].unknownNested"',
    'unknown field "spec.unknown1"',
    'unknown field "spec.unknownDupe"',
  ]);
});

Deno.test("decodeObject() warns under Warn and stays silent under Ignore", () => {
  const body = parseJsonBody('{"kind":"Deployment","foo":1,"kind":"Deployment"}');
  assert.deepEqual(decodeObject(Deployment, { fieldValidation: "Warn", body }).warnings, [
    'unknown field "foo"',
    'duplicate field "kind"',
  ]);
  const ignored = decodeObject(Deployment, { fieldValidation: "Ignore", body });
  assert.deepEqual(ignored.warnings, []);
  assert.deepEqual(ignored.object, { kind: "Deployment" });
});

Deno.test("decodeObject() sorts keys when asked, as upstream after a merge patch", () => {
  const value = {
    spec: { zz: 1, template: { spec: { containers: [{ name: "a", b: 1 }] } }, aa: 1 },
  };
  const r = decodeObject(Deployment, { fieldValidation: "Strict", value, sortKeys: true });
  assert.deepEqual(r.unknownFields, ["spec.aa", "spec.template.spec.containers[0].b", "spec.zz"]);
});

Deno.test("decodeObject() fails type mismatches with Go's messages", async (t) => {
  const cases: { name: string; value: unknown; error: string }[] = [
    {
      name: "string for int32",
      value: { spec: { replicas: "3" } },
      error:
        "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
    },
    {
      name: "fraction for int32",
      value: { spec: { replicas: 1.5 } },
      error:
        "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32",
    },
    {
      name: "int32 overflow",
      value: { spec: { replicas: 3000000000 } },
      error:
        "json: cannot unmarshal number 3000000000 into Go struct field DeploymentSpec.spec.replicas of type int32",
    },
    {
      name: "string for a struct",
      value: { spec: "x" },
      error:
        "json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec",
    },
    {
      name: "object for a list",
      value: { spec: { template: { spec: { containers: {} } } } },
      error:
        "json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container",
    },
    {
      name: "string for a list item",
      value: { spec: { template: { spec: { containers: ["x"] } } } },
      error:
        "json: cannot unmarshal string into Go struct field PodSpec.spec.template.spec.containers of type v1.Container",
    },
    {
      name: "number in a list item field",
      value: { spec: { template: { spec: { containers: [{ name: 1 }] } } } },
      error:
        "json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.name of type string",
    },
    {
      name: "number for a map value",
      value: { metadata: { labels: { app: 1 } } },
      error:
        "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
    },
    {
      name: "array for a map",
      value: { metadata: { labels: [] } },
      error:
        "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map[string]string",
    },
    {
      name: "bool for a free-form object",
      value: { spec: { selector: true } },
      error:
        "json: cannot unmarshal bool into Go struct field DeploymentSpec.spec.selector of type map[string]interface {}",
    },
    {
      name: "top level",
      value: [],
      error: "json: cannot unmarshal array into Go value of type v1.Deployment",
    },
    {
      name: "int64 overflow",
      value: { spec: { template: { spec: { activeDeadlineSeconds: 2 ** 64 } } } },
      error:
        "json: cannot unmarshal number 18446744073709552000 into Go struct field PodSpec.spec.template.spec.activeDeadlineSeconds of type int64",
    },
    {
      name: "bool for IntOrString",
      value: { spec: { maxSurge: true } },
      error: "json: cannot unmarshal bool into Go value of type int32",
    },
    {
      name: "fraction for IntOrString",
      value: { spec: { maxSurge: 1.5 } },
      error: "json: cannot unmarshal number 1.5 into Go value of type int32",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const r = decodeObject(Deployment, { fieldValidation: "Strict", value: c.value });
      assert.deepEqual(r.errors, [c.error]);
    });
  }
});

Deno.test("decodeObject() reports an UnmarshalJSON error before saved type errors", () => {
  const value = {
    spec: {
      replicas: "x",
      template: {
        spec: { containers: [{ name: "a", resources: { limits: { cpu: "1.2.3" } } }] },
      },
    },
  };
  const r = decodeObject(Deployment, { fieldValidation: "Strict", value });
  assert.equal(r.errors[0], QUANTITY_FORMAT_ERROR);
  assert.equal(r.errors.length, 2);
});

const Scalars = object("io.k8s.api.test.v1.Scalars", {
  description: "",
  fields: {
    q: field(quantity(), d),
    qs: field(map(quantity()), d),
    t: field(time(), d),
    mt: field(microTime(), d),
    b: field(bytes(), d),
    data: field(map(bytes()), d),
    f: field(double(), d),
    ios: field(intOrString(), d),
    tags: field(array(string()), d),
    ports: field(array(ContainerPort), d),
    raw: field(any({ name: "io.k8s.apimachinery.pkg.runtime.RawExtension" }), d),
    free: field(any(), d),
    open: field(
      object("io.k8s.api.test.v1.Open", {
        description: "",
        fields: {},
        preserveUnknownFields: true,
      }),
      d,
    ),
  },
});

function decodeScalars(value: unknown) {
  return decodeObject(Scalars, { fieldValidation: "Strict", value });
}

Deno.test("decodeObject() canonicalizes quantities, times and bytes", async (t) => {
  const cases: { name: string; value: unknown; want: unknown }[] = [
    { name: "quantity string", value: { q: "0.5" }, want: { q: "500m" } },
    { name: "quantity number", value: { q: 1.5 }, want: { q: "1500m" } },
    {
      name: "quantity in a map",
      value: { qs: { memory: "1.5Gi", cpu: null } },
      want: { qs: { memory: "1536Mi", cpu: "0" } },
    },
    {
      name: "time to UTC seconds",
      value: { t: "2024-03-01T10:20:30.123+02:00" },
      want: { t: "2024-03-01T08:20:30Z" },
    },
    {
      name: "micro time",
      value: { mt: "2024-03-01T10:20:30.123456Z" },
      want: { mt: "2024-03-01T10:20:30.123456Z" },
    },
    { name: "zero time dropped", value: { t: "0001-01-01T00:00:00Z" }, want: {} },
    { name: "bytes kept", value: { b: "aGVsbG8=" }, want: { b: "aGVsbG8=" } },
    { name: "bytes newlines dropped", value: { b: "aGVs\nbG8=" }, want: { b: "aGVsbG8=" } },
    { name: "bytes as numbers", value: { b: [104, 105] }, want: { b: "aGk=" } },
    { name: "map of bytes", value: { data: { a: "YQ==" } }, want: { data: { a: "YQ==" } } },
    { name: "IntOrString", value: { ios: "http" }, want: { ios: "http" } },
    { name: "double", value: { f: 0.25 }, want: { f: 0.25 } },
    { name: "nulls dropped", value: { q: null, t: null, tags: null }, want: {} },
    {
      name: "null list items become zero values",
      value: { tags: ["a", null], ports: [null] },
      want: { tags: ["a", ""], ports: [{ protocol: "TCP" }] },
    },
    {
      name: "defaults in list items",
      value: { ports: [{ containerPort: 80 }] },
      want: { ports: [{ containerPort: 80, protocol: "TCP" }] },
    },
    {
      name: "free-form values kept",
      value: { raw: [1, { a: null }], free: { x: { y: 1 } } },
      want: { raw: [1, { a: null }], free: { x: { y: 1 } } },
    },
    {
      name: "preserved unknown fields",
      value: { open: { anything: { goes: true } } },
      want: { open: { anything: { goes: true } } },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const r = decodeScalars(c.value);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.object, c.want);
      assert.deepEqual(r.unknownFields, []);
    });
  }
});

Deno.test("decodeObject() rejects bad quantities, times and base64 as upstream", async (t) => {
  const cases: { name: string; value: unknown; error: string }[] = [
    { name: "quantity", value: { q: "1.2.3" }, error: QUANTITY_FORMAT_ERROR },
    { name: "quantity suffix", value: { q: "1Qi" }, error: QUANTITY_FORMAT_ERROR },
    { name: "quantity bool", value: { q: true }, error: QUANTITY_FORMAT_ERROR },
    {
      name: "quantity suffix word",
      value: { q: "1EE" },
      error: "unable to parse quantity's suffix",
    },
    {
      name: "time layout",
      value: { t: "2024-03-01 10:20:30Z" },
      error:
        'parsing time "2024-03-01 10:20:30Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 10:20:30Z" as "T"',
    },
    {
      name: "time garbage",
      value: { t: "yesterday" },
      error:
        'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
    },
    {
      name: "time month",
      value: { t: "2024-13-01T00:00:00Z" },
      error: 'parsing time "2024-13-01T00:00:00Z": month out of range',
    },
    {
      name: "time day",
      value: { t: "2023-02-29T00:00:00Z" },
      error: 'parsing time "2023-02-29T00:00:00Z": day out of range',
    },
    {
      name: "time zone",
      value: { t: "2024-03-01T10:20:30" },
      error:
        'parsing time "2024-03-01T10:20:30" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"',
    },
    {
      name: "time extra",
      value: { t: "2024-03-01T10:20:30Zx" },
      error: 'parsing time "2024-03-01T10:20:30Zx": extra text: "x"',
    },
    {
      name: "time number",
      value: { t: 5 },
      error: "json: cannot unmarshal number into Go value of type string",
    },
    {
      name: "micro time needs six digits",
      value: { mt: "2024-03-01T10:20:30Z" },
      error:
        'parsing time "2024-03-01T10:20:30Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"',
    },
    {
      name: "base64 character",
      value: { b: "aGV$bG8=" },
      error: "illegal base64 data at input byte 3",
    },
    {
      name: "base64 padding",
      value: { b: "aGVsbG8" },
      error: "illegal base64 data at input byte 4",
    },
    {
      name: "base64 trailing",
      value: { b: "YQ==YQ==" },
      error: "illegal base64 data at input byte 4",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(decodeScalars(c.value).errors, [c.error]));
  }
});

Deno.test("decodeObject() reports duplicates inside maps and free-form values, not raw ones", () => {
  const body = parseJsonBody('{"qs":{"a":"1","a":"2"},"free":{"x":1,"x":2},"raw":{"y":1,"y":2}}');
  const r = decodeObject(Scalars, { fieldValidation: "Strict", body });
  assert.deepEqual(r.strictErrors, ['duplicate field "qs.a"', 'duplicate field "free.x"']);
});

Deno.test("decodeObject() never lets __proto__ change a prototype", () => {
  const body = parseJsonBody('{"metadata":{"labels":{"__proto__":"x"}},"__proto__":{"a":1}}');
  const r = decodeObject(Deployment, { fieldValidation: "Strict", body });
  const obj = r.object as { metadata: { labels: Record<string, string> } };
  assert.equal(Object.getPrototypeOf(obj), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(obj.metadata.labels, "__proto__")?.value, "x");
  assert.deepEqual(r.unknownFields, ["__proto__"]);
});

Deno.test("strictDecodingMessage() and the warning texts print as upstream", () => {
  assert.equal(
    strictDecodingMessage(["spec.foo"], ["x"]),
    'strict decoding error: unknown field "spec.foo", duplicate field "x"',
  );
  assert.equal(unknownFieldWarning("spec.foo"), 'unknown field "spec.foo"');
  assert.equal(duplicateFieldWarning("spec.replicas"), 'duplicate field "spec.replicas"');
});

Deno.test("decodeObject() leaves out empty lists and maps of optional fields, as omitempty", () => {
  const d = { description: "" };
  const Spec = object("io.k8s.api.test.v1.EmptySpec", {
    description: "",
    fields: {
      list: field(array(string()), d),
      labels: field(map(string()), d),
      context: field(object("io.k8s.api.test.v1.Context", { description: "", fields: {} }), d),
      kept: field(array(string()), { ...d, keepZero: true }),
      needed: requiredField(array(string()), d),
    },
  });
  const r = decodeObject(Spec, {
    fieldValidation: "Strict",
    value: { list: [], labels: {}, context: {}, kept: [], needed: [] },
  });
  // An empty struct is a set pointer in Go and stays; fields without omitempty keep `[]`.
  assert.deepEqual(r.object, { context: {}, kept: [], needed: [] });
  assert.deepEqual(
    decodeObject(ObjectMeta, {
      fieldValidation: "Strict",
      value: { name: "a", ownerReferences: [], finalizers: [] },
    }).object,
    { name: "a" },
  );
});

Deno.test("decodeObject() keeps the nulls a schema keeps and zeroes or drops the others", async (t) => {
  const Item = object("io.k8s.api.test.v1.Item", {
    description: "",
    fields: { name: field(string(), d) },
  });
  const Spec = object("io.k8s.api.test.v1.NullSpec", {
    description: "",
    fields: {
      opt: field(string(), { ...d, keepNull: true }),
      plain: field(string(), d),
      obj: field(Item, { ...d, keepNull: true }),
      kept: field(array(Item, { nulls: "keep" }), d),
      zeroed: field(array(Item), d),
      keptValues: field(map(Item, { nulls: "keep" }), d),
      droppedValues: field(map(string(), { nulls: "drop" }), d),
      zeroedValues: field(map(string()), d),
    },
  });
  const cases: { name: string; value: Record<string, unknown>; want: Record<string, unknown> }[] = [
    {
      name: "a kept field keeps null, a plain one drops it",
      value: { opt: null, plain: null, obj: null },
      want: { opt: null, obj: null },
    },
    {
      name: "a kept field still decodes a value",
      value: { opt: "x", obj: { name: "a" } },
      want: { opt: "x", obj: { name: "a" } },
    },
    {
      name: "list items: kept, or Go's zero value",
      value: { kept: [null, { name: "a" }], zeroed: [null] },
      want: { kept: [null, { name: "a" }], zeroed: [{}] },
    },
    {
      name: "map values: kept, dropped, or Go's zero value",
      value: {
        keptValues: { a: null },
        droppedValues: { a: null, b: "x" },
        zeroedValues: { a: null },
      },
      want: { keptValues: { a: null }, droppedValues: { b: "x" }, zeroedValues: { a: "" } },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const r = decodeObject(Spec, { fieldValidation: "Strict", value: c.value });
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.object, c.want);
    });
  }
});
