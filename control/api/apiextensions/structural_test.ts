import assert from "node:assert/strict";
import type { JSONSchemaProps } from "../types/apiextensions_v1.ts";
import { additionalOf, itemsOf, validateStructuralSchema } from "./structural.ts";

const ROOT = "spec.versions[0].schema.openAPIV3Schema";

Deno.test("validateStructuralSchema() reports upstream's structural errors", async (t) => {
  const cases: { name: string; schema: JSONSchemaProps; want: string[] }[] = [
    {
      name: "a valid schema",
      schema: {
        type: "object",
        properties: {
          spec: {
            type: "object",
            properties: {
              port: { "x-kubernetes-int-or-string": true },
              list: { type: "array", items: { type: "string" }, "x-kubernetes-list-type": "set" },
              raw: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              labels: { type: "object", additionalProperties: { type: "string" } },
            },
          },
        },
      },
      want: [],
    },
    {
      name: "empty type of a field, an item and the root",
      schema: { properties: { a: {}, b: { type: "array", items: {} } } },
      want: [
        `${ROOT}.properties[a].type: Required value: must not be empty for specified object fields`,
        `${ROOT}.properties[b].items.type: Required value: must not be empty for specified array items`,
        `${ROOT}.type: Required value: must not be empty at the root`,
      ],
    },
    {
      name: "a non-object root",
      schema: { type: "string" },
      want: [`${ROOT}.type: Invalid value: "string": must be object at the root`],
    },
    {
      name: "an array without items",
      schema: { type: "object", properties: { a: { type: "array" } } },
      want: [`${ROOT}.properties[a].items: Required value: must be specified`],
    },
    {
      name: "types inside value validations",
      schema: {
        type: "object",
        properties: { a: { type: "string", anyOf: [{ type: "string", description: "x" }] } },
      },
      want: [
        `${ROOT}.properties[a].anyOf[0].description: Forbidden: must be empty to be structural`,
        `${ROOT}.properties[a].anyOf[0].type: Forbidden: must be empty to be structural`,
      ],
    },
    {
      name: "the int-or-string anyOf pattern is allowed",
      schema: {
        type: "object",
        properties: {
          a: {
            "x-kubernetes-int-or-string": true,
            anyOf: [{ type: "integer" }, { type: "string" }],
          },
        },
      },
      want: [],
    },
    {
      name: "metadata restricted beyond name",
      schema: {
        type: "object",
        properties: { metadata: { type: "object", properties: { labels: { type: "object" } } } },
      },
      want: [
        `${ROOT}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
      ],
    },
    {
      name: "unsupported keywords",
      schema: {
        type: "object",
        properties: {
          a: { $ref: "#/definitions/x", type: "string" },
          b: { type: "array", items: { type: "string" }, uniqueItems: true },
          c: { type: "object", properties: { x: { type: "string" } }, additionalProperties: false },
        },
      },
      want: [
        `${ROOT}.properties[a].$ref: Forbidden: $ref is not supported`,
        `${ROOT}.properties[b].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`,
        `${ROOT}.properties[c].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
      ],
    },
    {
      name: "preserve-unknown-fields false",
      schema: { type: "object", "x-kubernetes-preserve-unknown-fields": false },
      want: [
        `${ROOT}.x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
      ],
    },
    {
      name: "a map list without keys",
      schema: {
        type: "object",
        properties: {
          a: {
            type: "array",
            "x-kubernetes-list-type": "map",
            items: { type: "object", properties: { name: { type: "string" } } },
          },
        },
      },
      want: [
        `${ROOT}.properties[a].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
      ],
    },
    {
      name: "an embedded resource without properties",
      schema: {
        type: "object",
        properties: { a: { type: "object", "x-kubernetes-embedded-resource": true } },
      },
      want: [
        `${ROOT}.properties[a].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
      ],
    },
    {
      name: "completeness: properties and items named only in value validations",
      schema: {
        type: "object",
        properties: {
          spec: { type: "object", properties: { a: { type: "string" } } },
          list: { type: "array", items: { type: "string" } },
        },
        anyOf: [
          { properties: { spec: { properties: { a: {}, b: {} } } } },
          { properties: { other: {} } },
        ],
        allOf: [{ properties: { list: { items: { properties: { x: {} } } } } }],
        not: { properties: { spec: { properties: { c: {} } } } },
      },
      want: [
        `${ROOT}.properties[list].items.properties[x]: Required value: because it is defined in ${ROOT}.allOf[0].properties[list].items.properties[x]`,
        `${ROOT}.properties[other]: Required value: because it is defined in ${ROOT}.anyOf[1].properties[other]`,
        `${ROOT}.properties[spec].properties[b]: Required value: because it is defined in ${ROOT}.anyOf[0].properties[spec].properties[b]`,
        `${ROOT}.properties[spec].properties[c]: Required value: because it is defined in ${ROOT}.not.properties[spec].properties[c]`,
      ],
    },
    {
      name: "completeness: items of a non-array",
      schema: {
        type: "object",
        properties: { spec: { type: "object" } },
        oneOf: [{ properties: { spec: { items: {} } } }],
      },
      want: [
        `${ROOT}.properties[spec].items: Required value: because it is defined in ${ROOT}.oneOf[0].properties[spec].items`,
      ],
    },
    {
      name: "completeness is upstream's: only the root's value validations",
      schema: {
        type: "object",
        properties: {
          spec: { type: "object", anyOf: [{ properties: { missing: {} } }] },
        },
      },
      want: [],
    },
    {
      name: "value validations may not carry docs, map types or CEL rules",
      schema: {
        type: "object",
        properties: {
          a: {
            type: "object",
            allOf: [{
              externalDocs: { url: "https://example.com" },
              "x-kubernetes-map-type": "atomic",
              "x-kubernetes-validations": [{ rule: "true" }],
            }],
          },
        },
      },
      want: [
        // The keyword checks run on nested schemas too (and come first).
        `${ROOT}.properties[a].allOf[0].x-kubernetes-map-type: Invalid value: "atomic": must only be used on type object`,
        `${ROOT}.properties[a].allOf[0].externalDocs: Forbidden: must be undefined to be structural`,
        `${ROOT}.properties[a].allOf[0].x-kubernetes-map-type: Forbidden: must be undefined to be structural`,
        `${ROOT}.properties[a].allOf[0].x-kubernetes-validations: Forbidden: must be empty to be structural`,
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(validateStructuralSchema(c.schema, ROOT).map(String), c.want);
    });
  }
});

Deno.test("itemsOf() and additionalOf() read only schema forms", () => {
  assert.deepEqual(itemsOf({ items: { type: "string" } }), { type: "string" });
  assert.equal(itemsOf({ items: [{ type: "string" }] }), undefined);
  assert.deepEqual(additionalOf({ additionalProperties: { type: "string" } }), { type: "string" });
  assert.equal(additionalOf({ additionalProperties: true }), undefined);
});
