import assert from "node:assert/strict";
import { JsonSyntaxError, MAX_JSON_DEPTH, parseJsonBody } from "./json_body.ts";

Deno.test("parseJsonBody() reports duplicate keys with upstream's paths", async (t) => {
  const cases: { name: string; text: string; duplicates: string[] }[] = [
    { name: "none", text: '{"a":1,"b":{"c":[1,2]}}', duplicates: [] },
    { name: "top level", text: '{"a":1,"a":2}', duplicates: ["a"] },
    {
      name: "nested",
      text: '{"spec":{"replicas":1,"paused":true,"replicas":2}}',
      duplicates: ["spec.replicas"],
    },
    {
      name: "in list items",
      text: '{"spec":{"containers":[{"name":"a"},{"name":"b","image":"x","image":"y"}]}}',
      duplicates: ["spec.containers[1].image"],
    },
    {
      name: "map keys",
      text: '{"metadata":{"labels":{"app":"a","app":"b"}}}',
      duplicates: ["metadata.labels.app"],
    },
    {
      name: "top-level array",
      text: '[{"op":"add"},{"path":"/a","path":"/b"}]',
      duplicates: ["[1].path"],
    },
    { name: "nested arrays", text: '{"a":[[{"x":1,"x":2}]]}', duplicates: ["a[0][0].x"] },
    { name: "escaped keys", text: '{"a\\"b":1,"a\\u0022b":2}', duplicates: ['a"b'] },
    { name: "keys look like strings in values", text: '{"a":"b","c":"a","b":"a"}', duplicates: [] },
    { name: "backslashes before quotes", text: '{"a":"x\\\\","a":"y\\"z"}', duplicates: ["a"] },
    { name: "three times, reported once", text: '{"a":1,"a":2,"a":3}', duplicates: ["a"] },
    {
      name: "many keys",
      text: `{${Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(",")},"k7":0}`,
      duplicates: ["k7"],
    },
    { name: "sibling objects do not share keys", text: '[{"a":1},{"a":1}]', duplicates: [] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const parsed = parseJsonBody(c.text);
      assert.deepEqual(parsed.duplicates, c.duplicates);
      assert.deepEqual(parsed.value, JSON.parse(c.text));
    });
  }
});

Deno.test("parseJsonBody() records after which key each duplicate occurs", () => {
  const { duplicateFields } = parseJsonBody('{"s":{"a":1,"b":2,"a":3,"c":4,"b":5}}');
  assert.deepEqual(duplicateFields, [
    { path: "s.a", parent: "s", key: "a", after: "b" },
    { path: "s.b", parent: "s", key: "b", after: "c" },
  ]);
});

Deno.test("parseJsonBody() fails with Go's scanner messages", async (t) => {
  const cases: [string, string][] = [
    ["", "unexpected end of JSON input"],
    ["{", "unexpected end of JSON input"],
    ['{"a":1', "unexpected end of JSON input"],
    ['{"a"', "unexpected end of JSON input"],
    ["{}}", "invalid character '}' after top-level value"],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ["{a:1}", "invalid character 'a' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', "invalid character '\"' after object key:value pair"],
    ["[1 2]", "invalid character '2' after array element"],
    ["[1,]", "invalid character ']' looking for beginning of value"],
    ['{"a":tru}', "invalid character '}' in literal true (expecting 'e')"],
    ["nul", "invalid character ' ' in literal null (expecting 'l')"],
    ["[-]", "invalid character ']' in numeric literal"],
    ["1.", "invalid character ' ' after decimal point in numeric literal"],
    ["[1e]", "invalid character ']' in exponent of numeric literal"],
    ["01", "invalid character '1' after top-level value"],
    ['"a\\x"', "invalid character 'x' in string escape code"],
    ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
    ['"a\nb"', "invalid character '\\n' in string literal"],
    ["\ufeff{}", "invalid character 'ï' looking for beginning of value"],
    ["'a'", "invalid character '\\'' looking for beginning of value"],
  ];
  for (const [text, message] of cases) {
    await t.step(JSON.stringify(text), () => {
      assert.throws(
        () => parseJsonBody(text),
        (e) => e instanceof JsonSyntaxError && e instanceof SyntaxError && e.message === message,
      );
    });
  }
});

Deno.test("parseJsonBody() bounds nesting without exhausting the stack", async (t) => {
  await t.step("at the limit", () => {
    const text = "[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH);
    assert.ok(Array.isArray(parseJsonBody(text).value));
  });
  await t.step("past the limit, well-formed", () => {
    const text = "[".repeat(MAX_JSON_DEPTH + 1) + "]".repeat(MAX_JSON_DEPTH + 1);
    assert.throws(
      () => parseJsonBody(text),
      /^JsonSyntaxError: invalid character '\[' exceeded max depth/,
    );
  });
  await t.step("far past the limit, malformed", () => {
    const text = '{"a":'.repeat(200_000);
    assert.throws(() => parseJsonBody(text), /exceeded max depth/);
  });
  await t.step("a custom limit", () => {
    assert.throws(() => parseJsonBody('{"a":{"b":{}}}', { maxDepth: 2 }), /exceeded max depth/);
    assert.doesNotThrow(() => parseJsonBody('{"a":{"b":1}}', { maxDepth: 2 }));
  });
});
