import assert from "node:assert/strict";
import type { JSONSchemaProps, ValidationRule } from "../types/apiextensions_v1.ts";
import {
  compileSchemaRules,
  escapePropertyName,
  evaluateRules,
  isTransitionRule,
} from "./cel_rules.ts";

function specWith(rules: ValidationRule[], properties?: JSONSchemaProps["properties"]) {
  return {
    type: "object",
    properties: {
      spec: {
        type: "object",
        "x-kubernetes-validations": rules,
        properties: properties ?? {
          replicas: { type: "integer" },
          max: { type: "integer" },
          name: { type: "string" },
          tags: { type: "array", items: { type: "string" } },
          "x-prop": { type: "string" },
          memory: { type: "string" },
        },
      },
    },
  } satisfies JSONSchemaProps;
}

function run(rules: ValidationRule[], spec: unknown, oldSpec?: unknown): string[] {
  const { tree, errors } = compileSchemaRules(specWith(rules));
  assert.deepEqual(errors.map(String), []);
  return evaluateRules(tree!, {
    value: { spec },
    ...(oldSpec !== undefined ? { old: { spec: oldSpec } } : {}),
  }).map(String);
}

Deno.test("evaluateRules() reports failing rules as upstream does", async (t) => {
  const cases: {
    name: string;
    rules: ValidationRule[];
    spec: unknown;
    old?: unknown;
    want: string[];
  }[] = [
    {
      name: "a passing rule",
      rules: [{ rule: "self.replicas <= self.max" }],
      spec: { replicas: 1, max: 2 },
      want: [],
    },
    {
      name: "default message",
      rules: [{ rule: "self.replicas <= self.max" }],
      spec: { replicas: 3, max: 2 },
      want: ['spec: Invalid value: "object": failed rule: self.replicas <= self.max'],
    },
    {
      name: "message",
      rules: [{ rule: "self.replicas <= self.max", message: "too many" }],
      spec: { replicas: 3, max: 2 },
      want: ['spec: Invalid value: "object": too many'],
    },
    {
      name: "messageExpression wins",
      rules: [{
        rule: "self.replicas <= self.max",
        message: "too many",
        messageExpression: "'replicas ' + string(self.replicas) + ' above ' + string(self.max)",
      }],
      spec: { replicas: 3, max: 2 },
      want: ['spec: Invalid value: "object": replicas 3 above 2'],
    },
    {
      name: "reason and fieldPath",
      rules: [{
        rule: "has(self.name)",
        message: "name is needed",
        reason: "FieldValueRequired",
        fieldPath: ".name",
      }],
      spec: {},
      want: ["spec.name: Required value: name is needed"],
    },
    {
      name: "forbidden",
      rules: [{ rule: "!has(self.name)", message: "no names", reason: "FieldValueForbidden" }],
      spec: { name: "x" },
      want: ["spec: Forbidden: no names"],
    },
    {
      name: "transition rules run only with an old value",
      rules: [{ rule: "self.name == oldSelf.name", message: "name is immutable" }],
      spec: { name: "b" },
      want: [],
    },
    {
      name: "transition rule on update",
      rules: [{ rule: "self.name == oldSelf.name", message: "name is immutable" }],
      spec: { name: "b" },
      old: { name: "a" },
      want: ['spec: Invalid value: "object": name is immutable'],
    },
    {
      name: "optionalOldSelf runs on create with an empty optional",
      rules: [{
        rule: "!oldSelf.hasValue() || self.name == oldSelf.value().name",
        optionalOldSelf: true,
      }],
      spec: { name: "b" },
      want: [],
    },
    {
      name: "escaped property names",
      rules: [{ rule: "self.x__dash__prop == 'ok'" }],
      spec: { "x-prop": "nope" },
      want: ["spec: Invalid value: \"object\": failed rule: self.x__dash__prop == 'ok'"],
    },
    {
      name: "list functions and macros",
      rules: [{ rule: "self.tags.isSorted() && self.tags.all(t, t.size() < 4)" }],
      spec: { tags: ["b", "a"] },
      want: [
        'spec: Invalid value: "object": failed rule: self.tags.isSorted() && self.tags.all(t, t.size() < 4)',
      ],
    },
    {
      name: "quantities",
      rules: [{ rule: "quantity(self.memory).isLessThan(quantity('1Gi'))", message: "too big" }],
      spec: { memory: "2Gi" },
      want: ['spec: Invalid value: "object": too big'],
    },
    {
      name: "an evaluation error",
      rules: [{ rule: "self.name == 'x'" }],
      spec: {},
      want: ['spec: Invalid value: "object": no such key: name'],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(run(c.rules, c.spec, c.old), c.want));
  }
});

Deno.test("evaluateRules() runs item rules for every item, with the item's path", () => {
  const schema: JSONSchemaProps = {
    type: "object",
    properties: {
      items: {
        type: "array",
        items: {
          type: "string",
          "x-kubernetes-validations": [{
            rule: "self.startsWith('a')",
            message: "must start with a",
          }],
        },
      },
    },
  };
  const { tree } = compileSchemaRules(schema);
  assert.deepEqual(
    evaluateRules(tree!, { value: { items: ["ab", "b", "ac"] } }).map(String),
    ['items[1]: Invalid value: "string": must start with a'],
  );
});

Deno.test("compileSchemaRules() reports rules that do not compile", () => {
  const schema = specWith([
    { rule: "self.replicas <=" },
    { rule: "self.replicas", messageExpression: "1 +" },
  ]);
  const { errors } = compileSchemaRules(schema, "spec.versions[0].schema.openAPIV3Schema");
  const texts = errors.map(String);
  assert.equal(texts.length, 2);
  assert.match(
    texts[0]!,
    /^spec\.versions\[0\]\.schema\.openAPIV3Schema\.properties\[spec\]\.x-kubernetes-validations\[0\]\.rule: Invalid value: "self\.replicas <=": compilation failed: /,
  );
  assert.match(
    texts[1]!,
    /x-kubernetes-validations\[1\]\.messageExpression: Invalid value: "1 \+": messageExpression compilation failed: /,
  );
});

Deno.test("escapePropertyName() escapes as upstream's CEL property names", () => {
  assert.deepEqual(
    ["a", "x-prop", "a.b", "a/b", "a__b", "namespace", "1a"].map(escapePropertyName),
    ["a", "x__dash__prop", "a__dot__b", "a__slash__b", "a__underscores__b", "__namespace__", null],
  );
});

Deno.test("isTransitionRule() looks for oldSelf outside strings", () => {
  assert.equal(isTransitionRule("self == oldSelf"), true);
  assert.equal(isTransitionRule("self == 'oldSelf'"), false);
  assert.equal(isTransitionRule("self.oldSelfish == 1"), false);
});
