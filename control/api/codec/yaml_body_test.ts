import assert from "node:assert/strict";
import { parseYamlBody } from "./yaml_body.ts";

Deno.test("parseYamlBody() reports duplicates in go-yaml's words, last value wins", () => {
  const text = [
    "apiVersion: apps/v1", // 1
    "kind: Deployment",
    "metadata:",
    "  name: dupename",
    "  name: web", // 5
    "spec:",
    "  paused: true",
    "  paused: false", // 8
    "  template:",
    "    spec:",
    "      containers:",
    "      - name: nginx",
    "        imagePullPolicy: Always",
    "        imagePullPolicy: Never", // 14
  ].join("\n");
  const body = parseYamlBody(text);
  assert.deepEqual(body.yamlErrors, [
    'line 5: key "name" already set in map',
    'line 8: key "paused" already set in map',
    'line 14: key "imagePullPolicy" already set in map',
  ]);
  assert.deepEqual(body.duplicates, [
    "metadata.name",
    "spec.paused",
    "spec.template.spec.containers[0].imagePullPolicy",
  ]);
  assert.deepEqual(body.duplicateFields, []);
  const value = body.value as { metadata: { name: string }; spec: { paused: boolean } };
  assert.equal(value.metadata.name, "web");
  assert.equal(value.spec.paused, false);
});

Deno.test("parseYamlBody() resolves plain scalars as go-yaml v2", async (t) => {
  const cases: [string, unknown][] = [
    ["yes", true],
    ["on", true],
    ["Off", false],
    ["n", false],
    ["true", true],
    ["~", null],
    ["", null],
    ["null", null],
    ["12", 12],
    ["-12", -12],
    ["0777", 511],
    ["0x1F", 31],
    ["0b101", 5],
    ["1_000", 1000],
    ["1e3", 1000],
    ["1.5", 1.5],
    [".5", 0.5],
    ["08", 8],
    ["2001-12-14", "2001-12-14"],
    ["'12'", "12"],
    ['"on"', "on"],
    ["!!str 12", "12"],
    ["!!int '12'", 12],
    ["1.2.3", "1.2.3"],
    ["nginx:1.27", "nginx:1.27"],
  ];
  for (const [scalar, want] of cases) {
    await t.step(scalar || "(empty)", () => {
      assert.deepEqual(parseYamlBody(`v: ${scalar}\n`).value, { v: want });
    });
  }
});

Deno.test("parseYamlBody() writes keys as JSON strings, sorted", () => {
  const body = parseYamlBody("z: 1\n1: one\ntrue: t\na: 2\n");
  assert.deepEqual(Object.keys(body.value as object), ["1", "a", "true", "z"]);
});

Deno.test("parseYamlBody() follows anchors and merge keys", () => {
  const body = parseYamlBody(
    "base: &b {x: 1, w: 2}\nz:\n  <<: *b\n  w: 3\nlist: &l [1]\ncopy: *l\n",
  );
  assert.deepEqual(body.value, {
    base: { w: 2, x: 1 },
    copy: [1],
    list: [1],
    z: { w: 3, x: 1 },
  });
  assert.deepEqual(body.yamlErrors, []);
});

Deno.test("parseYamlBody() accepts one document, empty ones around it", () => {
  assert.deepEqual(parseYamlBody("---\na: 1\n---\n").value, { a: 1 });
  assert.equal(parseYamlBody("").value, null);
  assert.throws(() => parseYamlBody("a: 1\n---\nb: 2\n"), /more than one document/);
});

Deno.test("parseYamlBody() throws SyntaxError on malformed YAML and unrepresentable values", () => {
  assert.throws(
    () => parseYamlBody("a: b: c\n"),
    (e) =>
      e instanceof SyntaxError && /^error converting YAML to JSON: yaml: line 1: /.test(e.message),
  );
  assert.throws(() => parseYamlBody("a: .inf\n"), /json: unsupported value: \+Inf/);
  assert.throws(() => parseYamlBody("a: *nope\n"), SyntaxError);
});

Deno.test("parseYamlBody() refuses exponential alias expansion", () => {
  const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i <= 8; i++) {
    lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]`);
  }
  assert.throws(() => parseYamlBody(lines.join("\n")), /excessive aliasing/);
});
