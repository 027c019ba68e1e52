import assert from "node:assert/strict";
import protobuf from "protobufjs";
import { parse as parseYaml } from "yaml";
import { buildOpenApiV2 } from "./v2.ts";
import { encodeOpenApiV2Protobuf } from "./v2_protobuf.ts";
import { RESOURCES } from "./_test_resources.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

/** A decoder for the parts of gnostic's `openapi.v2` messages the tests read. */
function fields(spec: Record<string, [number, string, "repeated"?]>): Json {
  const out: Json = {};
  for (const [name, [id, type, rule]] of Object.entries(spec)) {
    out[name] = rule ? { id, type, rule } : { id, type };
  }
  return { fields: out };
}

const NAMED_ANY = fields({ name: [1, "string"], value: [2, "Any"] });
function VENDOR(id: number): { vendorExtension: [number, string, "repeated"] } {
  return { vendorExtension: [id, "NamedAny", "repeated"] };
}

const ROOT = protobuf.Root.fromJSON({
  nested: {
    openapi: {
      nested: {
        v2: {
          nested: {
            Any: fields({ yaml: [2, "string"] }),
            NamedAny: NAMED_ANY,
            Document: fields({
              swagger: [1, "string"],
              info: [2, "Info"],
              paths: [8, "Paths"],
              definitions: [9, "Definitions"],
              security: [12, "SecurityRequirement", "repeated"],
              securityDefinitions: [13, "SecurityDefinitions"],
            }),
            Info: fields({ title: [1, "string"], version: [2, "string"] }),
            Paths: fields({ path: [2, "NamedPathItem", "repeated"] }),
            NamedPathItem: fields({ name: [1, "string"], value: [2, "PathItem"] }),
            PathItem: fields({
              get: [2, "Operation"],
              put: [3, "Operation"],
              post: [4, "Operation"],
              delete: [5, "Operation"],
              patch: [8, "Operation"],
              parameters: [9, "ParametersItem", "repeated"],
            }),
            Operation: fields({
              tags: [1, "string", "repeated"],
              description: [3, "string"],
              operationId: [5, "string"],
              produces: [6, "string", "repeated"],
              consumes: [7, "string", "repeated"],
              parameters: [8, "ParametersItem", "repeated"],
              responses: [9, "Responses"],
              schemes: [10, "string", "repeated"],
              ...VENDOR(13),
            }),
            ParametersItem: fields({
              parameter: [1, "Parameter"],
              jsonReference: [2, "JsonReference"],
            }),
            JsonReference: fields({ _ref: [1, "string"] }),
            Parameter: fields({
              bodyParameter: [1, "BodyParameter"],
              nonBodyParameter: [2, "NonBodyParameter"],
            }),
            BodyParameter: fields({
              name: [2, "string"],
              in: [3, "string"],
              required: [4, "bool"],
              schema: [5, "Schema"],
            }),
            NonBodyParameter: fields({
              queryParameterSubSchema: [3, "QueryParameterSubSchema"],
              pathParameterSubSchema: [4, "PathParameterSubSchema"],
            }),
            QueryParameterSubSchema: fields({
              in: [2, "string"],
              name: [4, "string"],
              type: [6, "string"],
              uniqueItems: [20, "bool"],
            }),
            PathParameterSubSchema: fields({
              required: [1, "bool"],
              in: [2, "string"],
              name: [4, "string"],
              type: [5, "string"],
              uniqueItems: [19, "bool"],
            }),
            Responses: fields({ responseCode: [1, "NamedResponseValue", "repeated"] }),
            NamedResponseValue: fields({ name: [1, "string"], value: [2, "ResponseValue"] }),
            ResponseValue: fields({ response: [1, "Response"] }),
            Response: fields({ description: [1, "string"], schema: [2, "SchemaItem"] }),
            SchemaItem: fields({ schema: [1, "Schema"] }),
            Definitions: fields({ additionalProperties: [1, "NamedSchema", "repeated"] }),
            NamedSchema: fields({ name: [1, "string"], value: [2, "Schema"] }),
            Schema: fields({
              _ref: [1, "string"],
              format: [2, "string"],
              description: [4, "string"],
              default: [5, "Any"],
              minimum: [9, "double"],
              required: [19, "string", "repeated"],
              enum: [20, "Any", "repeated"],
              additionalProperties: [21, "AdditionalPropertiesItem"],
              type: [22, "TypeItem"],
              items: [23, "ItemsItem"],
              properties: [25, "Properties"],
              ...VENDOR(31),
            }),
            TypeItem: fields({ value: [1, "string", "repeated"] }),
            ItemsItem: fields({ schema: [1, "Schema", "repeated"] }),
            AdditionalPropertiesItem: fields({ schema: [1, "Schema"], boolean: [2, "bool"] }),
            Properties: fields({ additionalProperties: [1, "NamedSchema", "repeated"] }),
            SecurityRequirement: fields({
              additionalProperties: [1, "NamedStringArray", "repeated"],
            }),
            NamedStringArray: fields({ name: [1, "string"], value: [2, "StringArray"] }),
            StringArray: fields({ value: [1, "string", "repeated"] }),
            SecurityDefinitions: fields({
              additionalProperties: [1, "NamedSecurityDefinitionsItem", "repeated"],
            }),
            NamedSecurityDefinitionsItem: fields({
              name: [1, "string"],
              value: [2, "SecurityDefinitionsItem"],
            }),
            SecurityDefinitionsItem: fields({ apiKeySecurity: [2, "ApiKeySecurity"] }),
            ApiKeySecurity: fields({ type: [1, "string"], name: [2, "string"], in: [3, "string"] }),
          },
        },
      },
    },
  },
});

function decode(bytes: Uint8Array): Json {
  const Document = ROOT.lookupType("openapi.v2.Document");
  return Document.toObject(Document.decode(bytes), { defaults: false }) as Json;
}

function extension(list: Json[] | undefined, name: string): unknown {
  const yaml = list?.find((e) => e.name === name)?.value?.yaml;
  return yaml === undefined ? undefined : parseYaml(yaml);
}

const DOC = buildOpenApiV2(RESOURCES, { gitVersion: "v1.28.0" });

Deno.test("encodeOpenApiV2Protobuf() writes gnostic's Document fields", () => {
  const d = decode(encodeOpenApiV2Protobuf(DOC));
  assert.equal(d.swagger, "2.0");
  assert.deepEqual(d.info, { title: "Kubernetes", version: "v1.28.0" });
  assert.equal(d.paths.path.length, Object.keys((DOC as Json).paths).length);
  assert.equal(
    d.definitions.additionalProperties.length,
    Object.keys((DOC as Json).definitions).length,
  );
  assert.deepEqual(d.security, [{ additionalProperties: [{ name: "BearerToken", value: {} }] }]);
  assert.deepEqual(d.securityDefinitions.additionalProperties[0].value.apiKeySecurity, {
    type: "apiKey",
    name: "authorization",
    in: "header",
  });
});

Deno.test("encodeOpenApiV2Protobuf() lets kubectl 1.27/1.28 detect field validation", () => {
  // cli-runtime's supportsQueryParamV2: a patch operation whose GVK extension (YAML) matches,
  // with a query parameter named fieldValidation.
  const d = decode(encodeOpenApiV2Protobuf(DOC));
  function supports(gvk: Json): boolean {
    for (const p of d.paths.path) {
      const op = p.value.patch;
      if (!op) continue;
      const g = extension(op.vendorExtension, "x-kubernetes-group-version-kind") as
        | Json
        | undefined;
      if (g?.group !== gvk.group || g?.kind !== gvk.kind || g?.version !== gvk.version) continue;
      return op.parameters.some((item: Json) =>
        item.parameter?.nonBodyParameter?.queryParameterSubSchema?.name === "fieldValidation"
      );
    }
    return false;
  }
  assert.ok(supports({ group: "apps", version: "v1", kind: "Deployment" }));
  assert.ok(supports({ group: "", version: "v1", kind: "Pod" }));
  assert.ok(!supports({ group: "batch", version: "v1", kind: "Job" }));
});

Deno.test("encodeOpenApiV2Protobuf() writes parameters, responses and schemas", () => {
  const d = decode(encodeOpenApiV2Protobuf(DOC));
  const item =
    d.paths.path.find((p: Json) =>
      p.name === "/apis/apps/v1/namespaces/{namespace}/deployments/{name}"
    )
      .value;
  assert.deepEqual(item.parameters[0].parameter.nonBodyParameter.pathParameterSubSchema, {
    required: true,
    in: "path",
    name: "name",
    type: "string",
    uniqueItems: true,
  });
  const patch = item.patch;
  assert.equal(patch.operationId, "patchAppsV1NamespacedDeployment");
  assert.deepEqual(patch.schemes, ["https"]);
  assert.equal(patch.consumes.length, 4);
  const body = patch.parameters.at(-1).parameter.bodyParameter;
  assert.deepEqual(body, {
    name: "body",
    in: "body",
    required: true,
    schema: { _ref: "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch" },
  });
  const ok = patch.responses.responseCode.find((r: Json) => r.name === "200").value.response;
  assert.deepEqual(ok, {
    description: "OK",
    schema: { schema: { _ref: "#/definitions/io.k8s.api.apps.v1.Deployment" } },
  });
  assert.equal(extension(patch.vendorExtension, "x-kubernetes-action"), "patch");

  const defs = new Map<string, Json>(
    d.definitions.additionalProperties.map((n: Json) => [n.name, n.value]),
  );
  const deployment = defs.get("io.k8s.api.apps.v1.Deployment")!;
  assert.deepEqual(extension(deployment.vendorExtension, "x-kubernetes-group-version-kind"), [
    { group: "apps", kind: "Deployment", version: "v1" },
  ]);
  assert.deepEqual(deployment.type, { value: ["object"] });
  const podSpec = defs.get("io.k8s.api.core.v1.PodSpec")!;
  const props = new Map<string, Json>(
    podSpec.properties.additionalProperties.map((n: Json) => [n.name, n.value]),
  );
  const containers = props.get("containers")!;
  assert.equal(extension(containers.vendorExtension, "x-kubernetes-patch-merge-key"), "name");
  assert.equal(extension(containers.vendorExtension, "x-kubernetes-patch-strategy"), "merge");
  assert.deepEqual(containers.items.schema[0], {
    _ref: "#/definitions/io.k8s.api.core.v1.Container",
  });
  assert.deepEqual(podSpec.required, ["containers"]);
  assert.deepEqual(props.get("nodeSelector")!.additionalProperties.schema.type, {
    value: ["string"],
  });
  const port = defs.get("io.k8s.api.core.v1.ContainerPort")!;
  const protocol =
    port.properties.additionalProperties.find((n: Json) => n.name === "protocol").value;
  assert.deepEqual(protocol.enum.map((a: Json) => parseYaml(a.yaml)), ["TCP", "UDP", "SCTP"]);
  assert.equal(parseYaml(protocol.default.yaml), "TCP");
  const spec = defs.get("io.k8s.api.apps.v1.DeploymentSpec")!;
  const replicas =
    spec.properties.additionalProperties.find((n: Json) => n.name === "replicas").value;
  assert.deepEqual({ format: replicas.format, type: replicas.type }, {
    format: "int32",
    type: { value: ["integer"] },
  });
  assert.equal(replicas.minimum, undefined); // 0 is the proto3 default: not written
  assert.equal(
    defs.get("io.k8s.apimachinery.pkg.util.intstr.IntOrString")!.format,
    "int-or-string",
  );
});

Deno.test("encodeOpenApiV2Protobuf() encodes an empty document to nothing and is deterministic", () => {
  assert.equal(encodeOpenApiV2Protobuf({}).length, 0);
  assert.deepEqual(encodeOpenApiV2Protobuf(DOC), encodeOpenApiV2Protobuf(DOC));
});
