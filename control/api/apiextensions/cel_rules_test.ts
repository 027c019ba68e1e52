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
          // Bounded: an unbounded list of unbounded strings makes isSorted() too costly.
          tags: { type: "array", maxItems: 10, items: { type: "string", maxLength: 10 } },
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
      want: [`spec: Invalid value: "object": no such key: name evaluating rule: self.name == 'x'`],
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

const BUDGET_HINT =
  "(try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)";

Deno.test("compileSchemaRules() refuses rules over upstream's estimated cost limits", async (t) => {
  const P = "openAPIV3Schema";
  const cases: { name: string; schema: JSONSchemaProps; want: string[] }[] = [
    {
      name: "a bounded scan fits",
      schema: {
        type: "object",
        properties: {
          tags: {
            ...{ type: "array", maxItems: 909_090, items: { type: "string", maxLength: 16 } },
            "x-kubernetes-validations": [{ rule: "self.exists(x, x.contains('gpu'))" }],
          },
        },
      },
      want: [],
    },
    {
      name: "one more item is over the per-rule limit",
      schema: {
        type: "object",
        properties: {
          tags: {
            ...{ type: "array", maxItems: 909_091, items: { type: "string", maxLength: 16 } },
            "x-kubernetes-validations": [{ rule: "self.exists(x, x.contains('gpu'))" }],
          },
        },
      },
      want: [
        `${P}.properties[tags].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of 1.000000x ${BUDGET_HINT}`,
      ],
    },
    {
      name: "an unbounded nested scan, and the total it makes",
      schema: {
        type: "object",
        properties: {
          tags: {
            type: "array",
            items: { type: "string" },
            "x-kubernetes-validations": [{ rule: "self.all(x, self.exists(y, x == y))" }],
          },
        },
      },
      want: [
        `${P}.properties[tags].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x ${BUDGET_HINT}`,
        `${P}.properties[tags].x-kubernetes-validations[0].rule: Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema`,
        `${P}: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of more than 100x ${BUDGET_HINT}`,
      ],
    },
    {
      name: "a rule under an unbounded list runs as often as its items fit in a request",
      schema: {
        type: "object",
        properties: {
          items: {
            type: "array",
            items: {
              type: "object",
              properties: { name: { type: "string", maxLength: 100 } },
              "x-kubernetes-validations": [{ rule: "self.name.matches('^[a-z]+$')" }],
            },
          },
        },
      },
      // 85 for one run, times the 1,048,576 objects that fit in a request.
      want: [
        `${P}.properties[items].items.x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of 8.9x ${BUDGET_HINT}`,
      ],
    },
    {
      name: "a costly messageExpression",
      schema: {
        type: "object",
        properties: {
          tags: {
            ...{ type: "array", maxItems: 5000, items: { type: "string", maxLength: 2000 } },
            "x-kubernetes-validations": [{
              rule: "self.size() < 3",
              messageExpression: "self.map(x, x + x).join(',')",
            }],
          },
        },
      },
      want: [
        `${P}.properties[tags].x-kubernetes-validations[0].messageExpression: Forbidden: estimated messageExpression cost exceeds budget by factor of 1.6x ${BUDGET_HINT}`,
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(compileSchemaRules(c.schema, P).errors.map(String), c.want);
    });
  }
});

Deno.test("evaluateRules() stops at upstream's runtime cost limits", async (t) => {
  await t.step("a call over the per-call limit stops validation", () => {
    const { tree, errors } = compileSchemaRules({
      type: "object",
      properties: {
        list: {
          type: "array",
          maxItems: 1100,
          items: { type: "integer" },
          "x-kubernetes-validations": [
            { rule: "self.all(x, self.exists(y, x == y))" },
            { rule: "self.size() == 0" },
          ],
        },
      },
    });
    assert.deepEqual(errors.map(String), []);
    const list = Array.from({ length: 1100 }, (_, i) => i);
    assert.deepEqual(evaluateRules(tree!, { value: { list } }).map(String), [
      `list: Invalid value: "array": 'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: self.all(x, self.exists(y, x == y))`,
    ]);
    // Small enough, both rules run.
    assert.deepEqual(evaluateRules(tree!, { value: { list: [1, 2] } }).map(String), [
      'list: Invalid value: "array": failed rule: self.size() == 0',
    ]);
  });

  await t.step("evaluations over the object's budget stop validation", () => {
    const rule = { rule: "self.all(x, self.exists(y, x == y))" };
    const item = {
      type: "array",
      maxItems: 400,
      items: { type: "integer" },
      "x-kubernetes-validations": [rule, { ...rule, message: "again" }],
    } satisfies JSONSchemaProps;
    // Each rule: ~962k a run, 10 runs at most: under the static limits.
    const { tree, errors } = compileSchemaRules({
      type: "object",
      properties: { lists: { type: "array", maxItems: 10, items: item } },
    });
    assert.deepEqual(errors.map(String), []);
    const one = Array.from({ length: 400 }, (_, i) => i);
    const lists = Array.from({ length: 10 }, () => one);
    // The object's 10M budget lasts for 10 runs: both rules of the first five lists.
    assert.deepEqual(evaluateRules(tree!, { value: { lists } }).map(String), [
      'lists[5]: Invalid value: "array": validation failed due to running out of cost budget, no further validation rules will be run',
    ]);
  });
});
