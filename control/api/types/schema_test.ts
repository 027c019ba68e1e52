import assert from "node:assert/strict";
import {
  array,
  enumOf,
  field,
  type Infer,
  int32,
  lazy,
  map,
  object,
  requiredField,
  resolve,
  type Schema,
  string,
} from "./schema.ts";

Deno.test("object() keeps its name, description and fields", () => {
  const Port = object("io.k8s.api.core.v1.ContainerPort", {
    description: "A port.",
    fields: {
      containerPort: requiredField(int32(), { description: "Port.", proto: 3 }),
      protocol: field(enumOf(["TCP", "UDP", "SCTP"]), {
        description: "Protocol.",
        proto: 4,
        default: "TCP",
      }),
    },
  });
  assert.equal(Port.name, "io.k8s.api.core.v1.ContainerPort");
  assert.equal(Port.fields.containerPort.required, true);
  assert.equal(Port.fields.protocol.required, false);
  assert.equal(Port.fields.protocol.default, "TCP");
  assert.deepEqual(Port.fields.protocol.schema.enum, ["TCP", "UDP", "SCTP"]);
  const p: Infer<typeof Port> = { containerPort: 80, protocol: "UDP" };
  assert.equal(p.protocol, "UDP");
});

Deno.test("array() refuses a map list without keys", () => {
  assert.throws(() => array(string(), { listType: "map" }), TypeError);
});

Deno.test("field() refuses a merge list of objects without a merge key", () => {
  const Item = object("x.Item", { description: "", fields: {} });
  assert.throws(
    () => field(array(Item), { description: "", patchStrategy: "merge" }),
    /patchMergeKey/,
  );
  // Lists of scalars merge as sets and need no key.
  assert.doesNotThrow(() => field(array(string()), { description: "", patchStrategy: "merge" }));
});

Deno.test("lazy() resolves once, for self-referencing types", () => {
  let calls = 0;
  const Node: Schema = object("x.Node", {
    description: "",
    fields: {
      children: field(map(lazy("x.Node", () => (calls++, Node))), { description: "" }),
    },
  });
  const child = (resolve(Node) as { fields: Record<string, { schema: Schema }> }).fields
    .children!.schema;
  assert.equal(child.type, "map");
  const inner = resolve((child as { values: Schema }).values);
  assert.equal(inner, Node);
  resolve((child as { values: Schema }).values);
  assert.equal(calls, 1);
});

Deno.test("object() merges protoInline fields where Go embeds the struct", async (t) => {
  const Handler = object("x.Handler", {
    description: "",
    fields: {
      exec: field(string(), { description: "Run.", proto: 1 }),
      http: field(string(), { description: "Get.", proto: 2 }),
    },
  });
  await t.step("before the first own field with a higher number, without numbers", () => {
    const Probe = object("x.Probe", {
      description: "",
      protoInline: [{ proto: 2, schema: Handler }],
      fields: {
        first: field(int32(), { description: "", proto: 1 }),
        delay: requiredField(int32(), { description: "", proto: 3 }),
      },
    });
    assert.deepEqual(Object.keys(Probe.fields), ["first", "exec", "http", "delay"]);
    assert.equal(Probe.fields.exec.proto, undefined);
    assert.equal(Probe.fields.exec.description, "Run.");
    assert.deepEqual(Probe.protoInline, [{ proto: 2, schema: Handler }]);
    const p: Infer<typeof Probe> = { delay: 1, exec: "true" };
    assert.equal(p.exec, "true");
  });
  await t.step("a field defined twice is refused", () => {
    assert.throws(
      () =>
        object("x.Bad", {
          description: "",
          protoInline: [{ proto: 3, schema: Handler }],
          fields: { exec: field(string(), { description: "", proto: 1 }) },
        }),
      {
        name: "TypeError",
        message: 'Cannot inline "x.Handler" into "x.Bad": field "exec" is defined twice',
      },
    );
  });
  await t.step("a taken field number is refused", () => {
    assert.throws(
      () =>
        object("x.Bad", {
          description: "",
          protoInline: [{ proto: 1, schema: Handler }],
          fields: { other: field(string(), { description: "", proto: 1 }) },
        }),
      {
        name: "TypeError",
        message: 'Cannot inline "x.Handler" into "x.Bad": protobuf field 1 is taken',
      },
    );
  });
});

Deno.test("array() and field() keep the protobuf options protoItems and keepZero", () => {
  const extra = map(array(string(), { protoItems: 1 }));
  assert.equal(extra.values.protoItems, 1);
  const replicas = field(int32(), { description: "", proto: 1, keepZero: true });
  assert.equal(replicas.keepZero, true);
});
