import assert from "node:assert/strict";
import {
  compareJsonValues,
  comparePathElements,
  fieldElement,
  indexElement,
  keyElement,
  parsePathElement,
  type PathElement,
  PathElementSyntaxError,
  pathString,
  serializePathElement,
  valueElement,
} from "./path_element.ts";

Deno.test("serializePathElement() writes upstream's fieldsV1 keys and parsePathElement() reads them", async (t) => {
  const cases: { name: string; pe: PathElement; text: string }[] = [
    { name: "field", pe: fieldElement("replicas"), text: "f:replicas" },
    {
      name: "field with dots and slashes",
      pe: fieldElement("kubernetes.io/metadata.name"),
      text: "f:kubernetes.io/metadata.name",
    },
    {
      name: "key fields sorted by name",
      pe: keyElement([["protocol", "TCP"], ["containerPort", 80]]),
      text: 'k:{"containerPort":80,"protocol":"TCP"}',
    },
    { name: "string value", pe: valueElement("example.com/hold"), text: 'v:"example.com/hold"' },
    { name: "number value", pe: valueElement(8080), text: "v:8080" },
    { name: "index", pe: indexElement(3), text: "i:3" },
    {
      name: "HTML characters escaped as Go does",
      pe: valueElement("<a&b>"),
      text: 'v:"\\u003ca\\u0026b\\u003e"',
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(serializePathElement(c.pe), c.text);
      assert.deepEqual(parsePathElement(c.text), c.pe);
    });
  }
});

Deno.test("parsePathElement() canonicalizes key order and rejects what is no path element", async (t) => {
  await t.step("unsorted keys", () => {
    const pe = parsePathElement('k:{"protocol":"TCP","containerPort":80}');
    assert.equal(serializePathElement(pe), 'k:{"containerPort":80,"protocol":"TCP"}');
  });
  for (const text of ["replicas", "x:1", 'k:["a"]', "k:{", "i:one"]) {
    await t.step(text, () => assert.throws(() => parsePathElement(text), PathElementSyntaxError));
  }
});

Deno.test("comparePathElements() orders fields, keys, values, then indexes", () => {
  const elements = [
    indexElement(0),
    valueElement("a"),
    keyElement([["name", "b"]]),
    keyElement([["name", "a"]]),
    fieldElement("b"),
    fieldElement("a"),
    valueElement(1),
  ];
  const sorted = [...elements].sort(comparePathElements).map(serializePathElement);
  assert.deepEqual(sorted, [
    "f:a",
    "f:b",
    'k:{"name":"a"}',
    'k:{"name":"b"}',
    "v:1",
    'v:"a"',
    "i:0",
  ]);
});

Deno.test("compareJsonValues() orders numbers, strings, booleans, lists, maps, null", () => {
  const values = [null, { a: 1 }, [1], true, false, "x", 2, 1];
  assert.deepEqual([...values].sort(compareJsonValues), [
    1,
    2,
    "x",
    false,
    true,
    [1],
    { a: 1 },
    null,
  ]);
});

Deno.test("pathString() prints paths as conflict messages do", async (t) => {
  const cases: { path: PathElement[]; text: string }[] = [
    { path: [fieldElement("spec"), fieldElement("replicas")], text: ".spec.replicas" },
    {
      path: [fieldElement("containers"), keyElement([["name", "nginx"]]), fieldElement("image")],
      text: '.containers[name="nginx"].image',
    },
    {
      path: [fieldElement("ports"), keyElement([["containerPort", 80], ["protocol", "TCP"]])],
      text: '.ports[containerPort=80,protocol="TCP"]',
    },
    { path: [fieldElement("finalizers"), valueElement("a")], text: '.finalizers[="a"]' },
    { path: [fieldElement("args"), indexElement(2)], text: ".args[2]" },
  ];
  for (const c of cases) await t.step(c.text, () => assert.equal(pathString(c.path), c.text));
});
