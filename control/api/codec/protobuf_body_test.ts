import assert from "node:assert/strict";
import protobuf from "protobufjs";
import { decodeBody } from "../handlers/decode_body.ts";
import { ControllerRevision, Deployment } from "../types/apps_v1.ts";
import { SubjectAccessReview } from "../types/authorization_v1.ts";
import { Lease } from "../types/coordination_v1.ts";
import { ConfigMap, Secret } from "../types/core_v1_config.ts";
import { Namespace } from "../types/core_v1_namespace.ts";
import { Pod } from "../types/core_v1_pod.ts";
import { Service } from "../types/core_v1_service.ts";
import { Ingress } from "../types/networking_v1.ts";
import { PriorityClass } from "../types/scheduling_v1.ts";
import {
  array,
  boolean,
  double,
  field,
  int32,
  lazy,
  object,
  type ObjectSchema,
  requiredField,
  type Schema,
  string,
} from "../types/schema.ts";
import { decodeObject } from "./decode.ts";
import { decodeProtobufBody, MAX_PROTOBUF_DEPTH, PROTOBUF_MAGIC } from "./protobuf_body.ts";

// --- building bodies by hand ---------------------------------------------------------------------

/** One field of a message, written with protobufjs' Writer (independent of the decoder). */
type Part = (w: protobuf.Writer) => void;

function key(n: number, wire: number): number {
  return ((n << 3) | wire) >>> 0;
}

function str(n: number, s: string): Part {
  return (w) => w.uint32(key(n, 2)).string(s);
}

function raw(n: number, b: Uint8Array): Part {
  return (w) => w.uint32(key(n, 2)).bytes(b);
}

function varint(n: number, v: number): Part {
  return (w) => w.uint32(key(n, 0)).int64(v);
}

function bool(n: number, v: boolean): Part {
  return (w) => w.uint32(key(n, 0)).bool(v);
}

function msg(n: number, ...parts: Part[]): Part {
  return (w) => {
    w.uint32(key(n, 2)).fork();
    for (const p of parts) p(w);
    w.ldelim();
  };
}

/** A map entry `{1: key, 2: value}`. */
function entry(n: number, k: string, value: Part): Part {
  return msg(n, str(1, k), value);
}

function encode(...parts: Part[]): Uint8Array {
  const w = protobuf.Writer.create();
  for (const p of parts) p(w);
  return w.finish();
}

/** A full body: `k8s\0` and a runtime.Unknown around `object`'s fields. */
function envelope(apiVersion: string, kind: string, ...object: Part[]): Uint8Array {
  const unknown = encode(
    msg(1, str(1, apiVersion), str(2, kind)),
    raw(2, encode(...object)),
    str(3, ""),
    str(4, ""),
  );
  return new Uint8Array([...PROTOBUF_MAGIC, ...unknown]);
}

const text = new TextEncoder();

// --- tests ---------------------------------------------------------------------------------------

Deno.test("decodeProtobufBody() takes apiVersion and kind from the envelope", () => {
  const body = envelope("v1", "Namespace", msg(1, str(1, "dev"), str(3, "")));
  assert.deepEqual(decodeProtobufBody(body, Namespace), {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "dev" },
  });
});

Deno.test("decodeProtobufBody() decodes a Deployment as its JSON would read", () => {
  const container = [
    str(1, "web"),
    str(2, "nginx:1.27"),
    // ports: containerPort 80; hostPort 0 and protocol "" are Go's unset non-pointer values.
    msg(6, varint(2, 0), varint(3, 80), str(4, "")),
    // resources.limits: map<string, Quantity>.
    msg(8, entry(1, "cpu", msg(2, str(1, "500m"))), entry(1, "memory", msg(2, str(1, "1Gi")))),
    // livenessProbe: the handler is the nested message of field 1 (inlined in JSON).
    msg(10, msg(1, msg(2, str(1, "/healthz"), msg(2, varint(1, 1), str(3, "http")))), varint(2, 0)),
    // env from a ConfigMap key: LocalObjectReference nested at field 1.
    msg(7, str(1, "MODE"), msg(3, msg(3, msg(1, str(1, "settings")), str(2, "mode")))),
    bool(16, false),
  ];
  const body = envelope(
    "apps/v1",
    "Deployment",
    msg(
      1,
      str(1, "web"),
      str(2, ""),
      str(3, "prod"),
      varint(7, 0),
      msg(8),
      entry(11, "app", str(2, "web")),
    ),
    msg(
      2,
      varint(1, 0), // replicas: *int32, so an explicit 0 stays
      msg(2, entry(1, "app", str(2, "web"))),
      msg(
        3,
        msg(1, entry(11, "app", str(2, "web"))),
        msg(
          2,
          msg(1, str(1, "config"), msg(2, msg(19, msg(1, str(1, "settings")), varint(3, 0)))),
          msg(2, ...container),
        ),
      ),
      msg(
        4,
        str(1, "RollingUpdate"),
        msg(2, msg(1, varint(1, 0), varint(2, 0)), msg(2, varint(1, 1), str(3, "25%"))),
      ),
      varint(5, 0), // minReadySeconds: int32 with omitempty, dropped
      bool(7, false), // paused: bool with omitempty, dropped
    ),
    msg(3),
  );
  assert.deepEqual(decodeProtobufBody(body, Deployment), {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "prod", labels: { app: "web" } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          volumes: [{ name: "config", configMap: { name: "settings", defaultMode: 0 } }],
          containers: [{
            name: "web",
            image: "nginx:1.27",
            ports: [{ containerPort: 80 }],
            resources: { limits: { cpu: "500m", memory: "1Gi" } },
            livenessProbe: { httpGet: { path: "/healthz", port: "http" } },
            env: [{
              name: "MODE",
              valueFrom: { configMapKeyRef: { name: "settings", key: "mode" } },
            }],
          }],
        },
      },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
    },
    status: {},
  });
});

Deno.test("decodeProtobufBody() decodes each special type", async (t) => {
  const cases: { name: string; schema: ObjectSchema; body: Uint8Array; want: unknown }[] = [
    {
      name: "Quantity {1: string}, and the empty message as zero",
      schema: Pod,
      body: envelope(
        "v1",
        "Pod",
        msg(
          2,
          msg(
            2,
            str(1, "c"),
            msg(8, entry(2, "cpu", msg(2, str(1, "250m"))), entry(2, "memory", msg(2))),
          ),
        ),
      ),
      want: {
        spec: {
          containers: [{ name: "c", resources: { requests: { cpu: "250m", memory: "0" } } }],
        },
      },
    },
    {
      name: "IntOrString {1: type, 2: intVal, 3: strVal}",
      schema: Service,
      body: envelope(
        "v1",
        "Service",
        msg(
          2,
          msg(1, varint(3, 80), msg(4, varint(1, 0), varint(2, 8080))),
          msg(1, varint(3, 81), msg(4, varint(1, 1), str(3, "web"))),
        ),
      ),
      want: { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 81, targetPort: "web" }] } },
    },
    {
      name: "Time {1: seconds, 2: nanos}, in seconds; the empty message is unset",
      schema: Namespace,
      body: envelope(
        "v1",
        "Namespace",
        msg(1, str(1, "a"), msg(8), msg(9, varint(1, 1700000000), varint(2, 999))),
      ),
      want: { metadata: { name: "a", deletionTimestamp: "2023-11-14T22:13:20Z" } },
    },
    {
      name: "MicroTime, with microseconds",
      schema: Lease,
      body: envelope(
        "coordination.k8s.io/v1",
        "Lease",
        msg(2, msg(4, varint(1, 1700000000), varint(2, 123456789))),
      ),
      want: { spec: { renewTime: "2023-11-14T22:13:20.123456Z" } },
    },
    {
      name: "RawExtension {1: raw JSON}",
      schema: ControllerRevision,
      body: envelope(
        "apps/v1",
        "ControllerRevision",
        msg(2, raw(1, text.encode('{"spec":{"x":[1,"y"]}}'))),
        varint(3, 4),
      ),
      want: { data: { spec: { x: [1, "y"] } }, revision: 4 },
    },
    {
      name: "FieldsV1 {1: raw JSON} in managedFields",
      schema: Namespace,
      body: envelope(
        "v1",
        "Namespace",
        msg(
          1,
          msg(
            17,
            str(1, "kubectl"),
            str(6, "FieldsV1"),
            msg(7, raw(1, text.encode('{"f:metadata":{}}'))),
          ),
        ),
      ),
      want: {
        metadata: {
          managedFields: [{
            manager: "kubectl",
            fieldsType: "FieldsV1",
            fieldsV1: { "f:metadata": {} },
          }],
        },
      },
    },
    {
      name: "[]byte as base64, map<string, bytes>, an empty value kept",
      schema: Secret,
      body: envelope(
        "v1",
        "Secret",
        msg(2, str(1, "k"), raw(2, text.encode("value"))),
        msg(2, str(1, "empty")),
        str(3, "Opaque"),
      ),
      want: { data: { k: "dmFsdWU=", empty: "" }, type: "Opaque" },
    },
    {
      name: "map<string, string>: the last duplicate wins, a missing value is empty",
      schema: ConfigMap,
      body: envelope(
        "v1",
        "ConfigMap",
        entry(2, "a", str(2, "1")),
        entry(2, "a", str(2, "2")),
        msg(2, str(1, "b")),
      ),
      want: { data: { a: "2", b: "" } },
    },
    {
      name: "map<string, ExtraValue{1: items}>",
      schema: SubjectAccessReview,
      body: envelope(
        "authorization.k8s.io/v1",
        "SubjectAccessReview",
        msg(
          2,
          str(3, "alice"),
          entry(5, "scopes", msg(2, str(1, "a"), str(1, "b"))),
          entry(5, "none", msg(2)),
        ),
      ),
      want: { spec: { user: "alice", extra: { scopes: ["a", "b"], none: [] } } },
    },
    {
      name: "int64 beyond 32 bits, negative int32",
      schema: PriorityClass,
      body: envelope(
        "scheduling.k8s.io/v1",
        "PriorityClass",
        msg(1, str(1, "p"), varint(7, 2 ** 40)),
        varint(2, -5),
      ),
      want: { metadata: { name: "p", generation: 2 ** 40 }, value: -5 },
    },
    {
      name: "the inlined IngressRuleValue",
      schema: Ingress,
      body: envelope(
        "networking.k8s.io/v1",
        "Ingress",
        msg(2, msg(3, str(1, "a.com"), msg(2, msg(1, msg(1, str(1, "/"), str(3, "Prefix")))))),
      ),
      want: {
        spec: { rules: [{ host: "a.com", http: { paths: [{ path: "/", pathType: "Prefix" }] } }] },
      },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const [g] = c.schema.gvk!;
      const gv = g!.group ? `${g!.group}/${g!.version}` : g!.version;
      assert.deepEqual(decodeProtobufBody(c.body, c.schema), {
        apiVersion: gv,
        kind: g!.kind,
        ...c.want as object,
      });
    });
  }
});

const Item = object("test.Item", {
  description: "",
  fields: {
    name: field(string(), { description: "", proto: 1 }),
    weight: field(double(), { description: "", proto: 2 }),
  },
});
const Common = object("test.Common", {
  description: "",
  fields: {
    label: field(string(), { description: "", proto: 1 }),
    count: field(int32(), { description: "", proto: 2 }),
  },
});
const Thing = object("test.Thing", {
  description: "",
  gvk: [{ group: "test", version: "v1", kind: "Thing" }],
  protoInline: [{ proto: 3, schema: Common }],
  fields: {
    numbers: field(array(int32()), { description: "", proto: 1 }),
    items: field(array(Item), { description: "", proto: 2 }),
    flag: field(boolean(), { description: "", proto: 4 }),
    kept: field(int32(), { description: "", proto: 5, keepZero: true }),
    needed: requiredField(string(), { description: "", proto: 6 }),
    child: field(Item, { description: "", proto: 7 }),
    ratio: field(double(), { description: "", proto: 8 }),
  },
});

function thing(...parts: Part[]): Uint8Array {
  return envelope("test/v1", "Thing", ...parts);
}

Deno.test("decodeProtobufBody() follows proto2 wire rules", async (t) => {
  const packed: Part = (w) => {
    w.uint32(key(1, 2)).fork().int32(1).int32(-2).int32(300).ldelim();
  };
  const cases: { name: string; body: Uint8Array; want: Record<string, unknown> }[] = [
    {
      name: "packed and unpacked repeated scalars join one list",
      body: thing(packed, varint(1, 4)),
      want: { numbers: [1, -2, 300, 4] },
    },
    {
      name: "repeated messages, doubles",
      body: thing(
        msg(2, str(1, "a"), (w) => w.uint32(key(2, 1)).double(0.5)),
        msg(2),
        (w) => w.uint32(key(8, 1)).double(-1.25),
      ),
      want: { items: [{ name: "a", weight: 0.5 }, {}], ratio: -1.25 },
    },
    {
      name: "an inlined struct's fields join the outer object",
      body: thing(msg(3, str(1, "x"), varint(2, 3)), bool(4, true)),
      want: { label: "x", count: 3, flag: true },
    },
    {
      name: "zero scalars drop unless keepZero or required",
      body: thing(msg(3, str(1, ""), varint(2, 0)), bool(4, false), varint(5, 0), str(6, "")),
      want: { kept: 0, needed: "" },
    },
    {
      name: "a later zero unsets an earlier value; the last scalar wins",
      body: thing(bool(4, true), bool(4, false), varint(5, 1), varint(5, 2)),
      want: { kept: 2 },
    },
    {
      name: "a message met twice merges",
      body: thing(msg(7, str(1, "a")), msg(7, (w) => w.uint32(key(2, 1)).double(2))),
      want: { child: { name: "a", weight: 2 } },
    },
    {
      name: "unknown fields of every wire type are skipped",
      body: thing(
        varint(90, 5),
        (w) => w.uint32(key(91, 1)).fixed64(1),
        str(92, "x"),
        (w) => w.uint32(key(93, 3)).uint32(key(1, 0)).int32(1).uint32(key(93, 4)),
        (w) => w.uint32(key(94, 5)).fixed32(1),
        msg(7, varint(99, 1), str(1, "in")),
        str(6, "ok"),
      ),
      want: { child: { name: "in" }, needed: "ok" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(decodeProtobufBody(c.body, Thing), {
        apiVersion: "test/v1",
        kind: "Thing",
        ...c.want,
      });
    });
  }
});

Deno.test("decodeProtobufBody() reads the envelope as upstream", async (t) => {
  await t.step("another kind: only apiVersion and kind, for the caller to refuse", () => {
    const body = envelope("v1", "Pod", msg(2, msg(2, str(1, "c"))));
    assert.deepEqual(decodeProtobufBody(body, Namespace), { apiVersion: "v1", kind: "Pod" });
  });
  await t.step("an empty typeMeta leaves apiVersion and kind to the URL", () => {
    const body = new Uint8Array([
      ...PROTOBUF_MAGIC,
      ...encode(msg(1), raw(2, encode(msg(1, str(1, "n"))))),
    ]);
    assert.deepEqual(decodeProtobufBody(body, Namespace), { metadata: { name: "n" } });
  });
  await t.step("no raw object", () => {
    const body = new Uint8Array([
      ...PROTOBUF_MAGIC,
      ...encode(msg(1, str(1, "v1"), str(2, "Namespace"))),
    ]);
    assert.deepEqual(decodeProtobufBody(body, Namespace), { apiVersion: "v1", kind: "Namespace" });
  });
});

Deno.test("decodeProtobufBody() refuses bodies that do not decode with SyntaxError", async (t) => {
  const deep: Schema = object("test.Deep", {
    description: "",
    gvk: [{ group: "test", version: "v1", kind: "Deep" }],
    fields: { next: field(lazy("test.Deep", () => deep), { description: "", proto: 1 }) },
  });
  let nested: Part = str(2, "end");
  for (let i = 0; i < MAX_PROTOBUF_DEPTH + 1; i++) nested = msg(1, nested);
  const valid = thing(str(6, "x"), msg(7, str(1, "child")));
  const cases: {
    name: string;
    body: Uint8Array;
    schema?: ObjectSchema;
    message: string | RegExp;
  }[] = [
    {
      name: "no magic",
      body: text.encode('{"kind":"Thing"}'),
      message:
        "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]",
    },
    {
      name: "only the magic's start",
      body: new Uint8Array([0x6b, 0x38]),
      message: /expected prefix/,
    },
    { name: "truncated", body: valid.subarray(0, valid.length - 3), message: "unexpected EOF" },
    {
      name: "wrong wire type",
      body: thing(varint(6, 1)),
      message: "proto: wrong wireType = 0 for field Needed",
    },
    {
      name: "wrong wire type in a special message",
      body: envelope("v1", "Service", msg(2, msg(1, msg(4, str(1, "x"))))),
      schema: Service,
      message: "proto: wrong wireType = 2 for field Type",
    },
    {
      name: "illegal wire type",
      body: thing((w) => w.uint32(key(50, 7))),
      message: "proto: illegal wireType 7",
    },
    {
      name: "end group outside a group",
      body: thing((w) => w.uint32(key(50, 4))),
      message: "proto: Thing: wiretype end group for non-group",
    },
    {
      name: "field number 0",
      body: thing((w) => w.uint32(0)),
      message: "proto: Thing: illegal tag 0 (wire type 0)",
    },
    {
      name: "varint overflow",
      body: thing(
        (w) => w.uint32(key(5, 0)),
        (w) => w.bytes(new Uint8Array(11).fill(0xff)).uint32(1),
      ),
      message: /proto: (integer overflow|negative length)/,
    },
    {
      name: "absurd length",
      body: new Uint8Array([...PROTOBUF_MAGIC, 0x12, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]),
      message: "unexpected EOF",
    },
    {
      name: "negative length",
      body: new Uint8Array([...PROTOBUF_MAGIC, 0x12, ...Array(9).fill(0xff), 0x01]),
      message: "proto: negative length found during unmarshaling",
    },
    {
      name: "nesting too deep",
      body: envelope("test/v1", "Deep", nested),
      schema: deep as ObjectSchema,
      message:
        `Cannot decode protobuf body: messages are nested more than ${MAX_PROTOBUF_DEPTH} deep`,
    },
    {
      name: "IntOrString of an unknown type",
      body: envelope("v1", "Service", msg(2, msg(1, msg(4, varint(1, 2))))),
      schema: Service,
      message: "Cannot decode protobuf body: IntOrString type 2 is neither 0 (int) nor 1 (string)",
    },
    {
      name: "time beyond year 9999",
      body: envelope("v1", "Namespace", msg(1, msg(9, varint(1, 253402300800)))),
      schema: Namespace,
      message: "Cannot decode protobuf body: time 253402300800s is outside the years 0000 to 9999",
    },
    {
      name: "raw extension that is not JSON",
      body: envelope("apps/v1", "ControllerRevision", msg(2, raw(1, text.encode("{nope")))),
      schema: ControllerRevision,
      message: /^Cannot decode protobuf body: field Data is not JSON: /,
    },
    {
      name: "content encoding",
      body: new Uint8Array([...PROTOBUF_MAGIC, ...encode(str(3, "gzip"))]),
      message: 'Cannot decode protobuf body: content encoding "gzip" is not supported',
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => decodeProtobufBody(c.body, c.schema ?? Thing), (err: unknown) => {
        assert.ok(err instanceof SyntaxError, String(err));
        if (typeof c.message === "string") assert.equal(err.message, c.message);
        else assert.match(err.message, c.message);
        return true;
      });
    });
  }
});

Deno.test("decodeProtobufBody() only ever throws SyntaxError on mangled bodies", () => {
  // Every prefix and thousands of byte mutations of a real body: decoded or refused, never a
  // crash or a hang.
  const base = envelope(
    "apps/v1",
    "Deployment",
    msg(1, str(1, "web"), entry(11, "app", str(2, "web"))),
    msg(2, varint(1, 2), msg(3, msg(2, msg(2, str(1, "c"), str(2, "img"), msg(6, varint(3, 80)))))),
  );
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const bodies: Uint8Array[] = [];
  for (let i = 0; i <= base.length; i++) bodies.push(base.subarray(0, i));
  for (let i = 0; i < 3000; i++) {
    const b = base.slice();
    const n = 1 + Math.floor(random() * 3);
    for (let j = 0; j < n; j++) {
      b[4 + Math.floor(random() * (b.length - 4))] = Math.floor(random() * 256);
    }
    bodies.push(b);
  }
  let refused = 0;
  for (const b of bodies) {
    try {
      decodeProtobufBody(b, Deployment);
    } catch (err) {
      assert.ok(err instanceof SyntaxError, `${err} for ${b}`);
      refused++;
    }
  }
  assert.ok(refused > 100, `only ${refused} of ${bodies.length} refused`);
});

Deno.test("decodeBody() with decodeProtobufBody gives the object a JSON body gives", () => {
  const json = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "s", labels: { owner: "helm" } },
    data: { release: "aGVsbG8=" },
    type: "helm.sh/release.v1",
  };
  const pb = envelope(
    "v1",
    "Secret",
    msg(1, str(1, "s"), entry(11, "owner", str(2, "helm"))),
    msg(2, str(1, "release"), raw(2, text.encode("hello"))),
    str(3, "helm.sh/release.v1"),
  );
  const common = {
    schema: Secret,
    group: "",
    version: "v1",
    kind: "Secret",
    fieldValidation: "Strict",
  } as const;
  const fromJson = decodeBody(text.encode(JSON.stringify(json)), {
    ...common,
    contentType: "application/json",
  });
  const fromPb = decodeBody(pb, {
    ...common,
    contentType: "application/vnd.kubernetes.protobuf",
    protobuf: decodeProtobufBody,
  });
  assert.deepEqual(fromPb, fromJson);
  assert.throws(
    () =>
      decodeBody(pb.subarray(0, pb.length - 5), {
        ...common,
        contentType: "application/vnd.kubernetes.protobuf",
        protobuf: decodeProtobufBody,
      }),
    { message: 'Secret in version "v1" cannot be handled as a Secret: unexpected EOF' },
  );
});

Deno.test("decodeProtobufBody() output passes decodeObject unchanged for a real kind", () => {
  const body = envelope(
    "v1",
    "Namespace",
    msg(1, str(1, "x"), entry(12, "a", str(2, "b"))),
    msg(2, str(1, "kubernetes")),
  );
  const value = decodeProtobufBody(body, Namespace);
  const decoded = decodeObject(Namespace, { fieldValidation: "Strict", value });
  assert.deepEqual(decoded.errors, []);
  assert.deepEqual(decoded.strictErrors, []);
  assert.deepEqual(decoded.object, value);
});

Deno.test("every served kind has a protobuf message: numbered, unique, no bare nested lists", async () => {
  const types = await import("../types/mod.ts");
  const seen = new Set<ObjectSchema>();
  const problems: string[] = [];
  const walk = (schema: Schema, where: string, inContainer: boolean): void => {
    const s = schema.type === "lazy" ? schema.get() : schema;
    if (s.type === "array" || s.type === "map") {
      const inner = s.type === "array" ? s.items : s.values;
      const innerType = inner.type === "lazy" ? inner.get().type : inner.type;
      const wrapped = s.type === "array" && s.protoItems !== undefined;
      if (inContainer && !wrapped) {
        problems.push(`${where}: a bare list or map inside a list or map`);
      }
      if (
        (innerType === "array" || innerType === "map") &&
        !(innerType === "array" && (inner as { protoItems?: number }).protoItems)
      ) {
        problems.push(`${where}: a list or map of lists needs protoItems`);
      }
      walk(inner, where, !wrapped);
      return;
    }
    if (s.type !== "object" || seen.has(s)) return;
    seen.add(s);
    const numbers = new Map<number, string>();
    const claim = (n: number, what: string) => {
      if (numbers.has(n)) {
        problems.push(`${s.name}: ${what} and ${numbers.get(n)} share number ${n}`);
      }
      numbers.set(n, what);
    };
    const inlined = new Set<string>();
    for (const i of s.protoInline ?? []) {
      claim(i.proto, i.schema.name);
      for (const k of Object.keys(i.schema.fields)) inlined.add(k);
      walk(i.schema, i.schema.name, false);
    }
    for (const [k, f] of Object.entries(s.fields)) {
      if (f.proto !== undefined) claim(f.proto, k);
      else if (!inlined.has(k) && !(s.gvk && (k === "apiVersion" || k === "kind"))) {
        problems.push(`${s.name}.${k}: no proto number`);
      }
      walk(f.schema, `${s.name}.${k}`, false);
    }
  };
  for (const value of Object.values(types)) {
    const s = value as Partial<ObjectSchema>;
    if (typeof s === "object" && s !== null && s.type === "object" && s.gvk) {
      walk(s as ObjectSchema, s.name!, false);
      // Building the kind's plan must not fail either.
      const [g] = s.gvk;
      const gv = g!.group ? `${g!.group}/${g!.version}` : g!.version;
      assert.deepEqual(decodeProtobufBody(envelope(gv, g!.kind), s as ObjectSchema), {
        apiVersion: gv,
        kind: g!.kind,
      });
    }
  }
  assert.ok(seen.size > 300, `only ${seen.size} schemas reached`);
  assert.deepEqual(problems, []);
});
