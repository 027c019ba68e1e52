import assert from "node:assert/strict";
import type { CustomResourceDefinition } from "../types/apiextensions_v1.ts";
import {
  isEstablished,
  validateCustomResourceDefinition,
  validateCustomResourceDefinitionUpdate,
  validateSimpleJsonPath,
} from "./crd_validation.ts";
import { FieldPath } from "../validation/field_errors.ts";

function crd(): CustomResourceDefinition {
  return {
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
      versions: [{
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: { spec: { type: "object", properties: { n: { type: "integer" } } } },
          },
        },
      }],
    },
    status: { acceptedNames: { plural: "", kind: "" }, storedVersions: ["v1"] },
  } as CustomResourceDefinition;
}

// Test mutations reach into the JSON freely.
// deno-lint-ignore no-explicit-any
type Mutable = { spec: Record<string, any>; metadata: Record<string, any>; status: any };

Deno.test("validateCustomResourceDefinition() reports upstream's messages", async (t) => {
  const V0 = "spec.versions[0]";
  const cases: { name: string; mutate: (c: Mutable) => void; want: string[] }[] = [
    { name: "a valid CRD", mutate: () => {}, want: [] },
    {
      name: "group without a dot",
      mutate: (c) => {
        c.spec.group = "example";
        c.metadata.name = "widgets.example";
      },
      want: ['spec.group: Invalid value: "example": should be a domain with at least one dot'],
    },
    {
      name: "scope",
      mutate: (c) => (c.spec.scope = "Global"),
      want: ['spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"'],
    },
    {
      name: "names",
      mutate: (c) => {
        c.spec.names.plural = "Widgets";
        c.metadata.name = "Widgets.example.com";
        c.spec.names.listKind = "Widget";
        c.spec.names.shortNames = ["w_"];
      },
      want: [
        "spec.names.plural: Invalid value: \"Widgets\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        "spec.names.shortNames[0]: Invalid value: \"w_\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        'spec.names.listKind: Invalid value: "Widget": kind and listKind may not be the same',
      ],
    },
    {
      name: "missing names",
      mutate: (c) => {
        c.spec.names = { plural: "widgets", kind: "" };
      },
      want: [
        "spec.names.singular: Required value",
        "spec.names.kind: Required value",
        "spec.names.listKind: Required value",
      ],
    },
    {
      name: "two storage versions with the same name",
      mutate: (c) => c.spec.versions.push({ ...c.spec.versions[0] }),
      want: [
        "must contain unique version names",
        "must have exactly one version marked as storage version",
      ],
    },
    {
      name: "a version without a schema",
      mutate: (c) => delete c.spec.versions[0].schema,
      want: [`${V0}.schema.openAPIV3Schema: Required value: schemas are required`],
    },
    {
      name: "printer columns",
      mutate: (c) => (c.spec.versions[0].additionalPrinterColumns = [
        { name: "A", type: "text", jsonPath: "spec.a" },
        { name: "B", type: "string", format: "url", jsonPath: ".spec.b" },
      ]),
      want: [
        `${V0}.additionalPrinterColumns[0].type: Unsupported value: "text": supported values: "boolean", "date", "integer", "number", "string"`,
        `${V0}.additionalPrinterColumns[0].jsonPath: Invalid value: "spec.a": must be a simple json path starting with .`,
        `${V0}.additionalPrinterColumns[1].format: Unsupported value: "url": supported values: "byte", "date", "date-time", "double", "float", "int32", "int64", "password"`,
      ],
    },
    {
      name: "scale paths",
      mutate: (c) => (c.spec.versions[0].subresources = {
        scale: { specReplicasPath: ".status.r", statusReplicasPath: ".spec.r" },
      }),
      want: [
        `${V0}.subresources.scale.specReplicasPath: Invalid value: ".status.r": should be a json path under .spec`,
        `${V0}.subresources.scale.statusReplicasPath: Invalid value: ".spec.r": should be a json path under .status`,
      ],
    },
    {
      name: "preserveUnknownFields",
      mutate: (c) => (c.spec.preserveUnknownFields = true),
      want: [
        "spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead",
      ],
    },
    {
      name: "webhook conversion is refused",
      mutate: (c) => (c.spec.conversion = { strategy: "Webhook" }),
      want: [
        'spec.conversion.strategy: Forbidden: skiff cannot call conversion webhooks: use strategy "None"',
      ],
    },
    {
      name: "an unknown conversion strategy",
      mutate: (c) => (c.spec.conversion = { strategy: "Magic" }),
      want: [
        'spec.conversion.strategy: Unsupported value: "Magic": supported values: "None", "Webhook"',
      ],
    },
    {
      name: "a default of the wrong type",
      mutate: (
        c,
      ) => (c.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.n.default = "x"),
      want: [
        `${V0}.schema.openAPIV3Schema.properties[spec].properties[n].default: Invalid value: "string": in body must be of type integer: "string"`,
      ],
    },
    {
      name: "a status subresource allows only type object at the root",
      mutate: (c) => {
        c.spec.versions[0].subresources = { status: {} };
        c.spec.versions[0].schema.openAPIV3Schema.type = "array";
        c.spec.versions[0].schema.openAPIV3Schema.items = { type: "string" };
        delete c.spec.versions[0].schema.openAPIV3Schema.properties;
      },
      want: [
        `${V0}.schema.openAPIV3Schema.type: Invalid value: "array": only "object" is allowed as the type at the root of the schema if the status subresource is enabled`,
        `${V0}.schema.openAPIV3Schema.type: Invalid value: "array": must be object at the root`,
      ],
    },
    {
      name: "a status subresource allows only some fields at the root",
      mutate: (c) => {
        c.spec.versions[0].subresources = { status: {} };
        c.spec.versions[0].schema.openAPIV3Schema.anyOf = [{ required: ["spec"] }];
      },
      want: [
        "only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations] fields are allowed at the root of the schema if the status subresource is enabled",
      ],
    },
    {
      name: "without a status subresource the same root is fine",
      mutate: (c) => (c.spec.versions[0].schema.openAPIV3Schema.anyOf = [{ required: ["spec"] }]),
      want: [],
    },
    {
      name: "allowed root fields with a status subresource",
      mutate: (c) => {
        c.spec.versions[0].subresources = { status: {} };
        Object.assign(c.spec.versions[0].schema.openAPIV3Schema, {
          description: "d",
          required: ["spec"],
          "x-kubernetes-preserve-unknown-fields": true,
          "x-kubernetes-validations": [{ rule: "true" }],
          nullable: false,
        });
      },
      want: [],
    },
    {
      name: "nullable at the root",
      mutate: (c) => (c.spec.versions[0].schema.openAPIV3Schema.nullable = true),
      want: [
        `${V0}.schema.openAPIV3Schema.nullable: Forbidden: nullable cannot be true at the root`,
      ],
    },
    {
      name: "a stored version no longer listed",
      mutate: (c) => (c.status.storedVersions = ["v1", "v0"]),
      want: ['status.storedVersions[1]: Invalid value: "v0": must appear in spec.versions'],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const obj = crd();
      c.mutate(obj as unknown as Mutable);
      const got = validateCustomResourceDefinition(obj).map(String);
      if (c.want.every((w) => !w.includes(": "))) {
        // Messages whose value is the whole versions list: match the detail only.
        assert.deepEqual(got.map((g) => g.slice(g.lastIndexOf(": ") + 2)), c.want);
      } else {
        assert.deepEqual(got, c.want);
      }
    });
  }
});

Deno.test("validateCustomResourceDefinitionUpdate() keeps group, plural and, once established, scope and kind", () => {
  const old = crd();
  const next = crd();
  next.spec.scope = "Cluster";
  next.spec.names.plural = "gadgets";
  assert.deepEqual(validateCustomResourceDefinitionUpdate(next, old).map(String), [
    'spec.names.plural: Invalid value: "gadgets": field is immutable',
  ]);
  old.status = { ...old.status!, conditions: [{ type: "Established", status: "True" }] };
  assert.equal(isEstablished(old), true);
  assert.deepEqual(validateCustomResourceDefinitionUpdate(next, old).map(String), [
    'spec.scope: Invalid value: "Cluster": field is immutable',
    'spec.names.plural: Invalid value: "gadgets": field is immutable',
  ]);
});

Deno.test("validateSimpleJsonPath() wants a path starting with a dot", () => {
  assert.deepEqual(validateSimpleJsonPath(".spec", new FieldPath("p")).map(String), []);
  assert.deepEqual(validateSimpleJsonPath("", new FieldPath("p")).map(String), [
    'p: Invalid value: "": must not be empty',
  ]);
});
