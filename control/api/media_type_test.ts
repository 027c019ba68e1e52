import assert from "node:assert/strict";
import {
  bodyFormat,
  negotiateDiscovery,
  negotiateOutput,
  parseAccept,
  parseMediaType,
} from "./media_type.ts";

Deno.test("parseMediaType() reads parameters, quoted values and case", () => {
  assert.deepEqual(parseMediaType('Application/JSON; Charset="utf-8";as=Table'), {
    type: "application",
    subtype: "json",
    params: { charset: "utf-8", as: "Table" },
  });
  assert.equal(parseMediaType("json"), null);
  assert.equal(parseMediaType("application/json;broken"), null);
  assert.deepEqual(parseMediaType('text/plain;x="a;b"')?.params, { x: "a;b" });
});

Deno.test("parseAccept() orders ranges by q and keeps the client's order otherwise", () => {
  const ranges = parseAccept("application/yaml;q=0.5, application/json, */*;q=0.1, text/x;q=0");
  assert.deepEqual(ranges.map((r) => `${r.type}/${r.subtype}`), [
    "application/json",
    "application/yaml",
    "*/*",
  ]);
  assert.deepEqual(parseAccept(""), [{ type: "*", subtype: "*", params: {}, q: 1 }]);
  assert.deepEqual(parseAccept(undefined).length, 1);
});

Deno.test("negotiateOutput() picks what kubectl asks for", async (t) => {
  const cases: [string, unknown][] = [
    [
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
      { format: "table", version: "v1" },
    ],
    ["application/json;as=Table;v=v1beta1;g=meta.k8s.io", { format: "table", version: "v1beta1" }],
    // kubectl 1.32+ typed clients: protobuf first, JSON answered.
    ["application/vnd.kubernetes.protobuf,application/json", { format: "json" }],
    ["application/json", { format: "json" }],
    ["*/*", { format: "json" }],
    ["", { format: "json" }],
    ["application/yaml", { format: "yaml" }],
    // An unsupported Table version is skipped, not guessed.
    ["application/json;as=Table;v=v2;g=meta.k8s.io,application/json", { format: "json" }],
    ["application/json;as=Table;v=v1;g=example.com", null],
    [
      "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
      { format: "partial", version: "v1", list: true },
    ],
    ["application/vnd.kubernetes.protobuf", null],
    ["text/html", null],
  ];
  for (const [accept, want] of cases) {
    await t.step(accept || "(empty)", () => {
      assert.deepEqual(negotiateOutput(parseAccept(accept)), want);
    });
  }
});

Deno.test("negotiateDiscovery() returns only a version the client listed", async (t) => {
  const v127 =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
  const v130 =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
  const cases: [string, unknown][] = [
    [v127, "v2beta1"],
    [v130, "v2"],
    ["application/json", "legacy"],
    ["application/json;as=APIGroupDiscoveryList;g=apidiscovery.k8s.io;v=v3", null],
    ["*/*", "legacy"],
  ];
  for (const [accept, want] of cases) {
    await t.step(accept, () => assert.equal(negotiateDiscovery(parseAccept(accept)), want));
  }
});

Deno.test("bodyFormat() maps request content types", () => {
  assert.equal(bodyFormat("application/json; charset=utf-8"), "json");
  assert.equal(bodyFormat(undefined), "json");
  assert.equal(bodyFormat("application/yaml"), "yaml");
  assert.equal(bodyFormat("application/vnd.kubernetes.protobuf"), "protobuf");
  assert.equal(bodyFormat("text/plain"), null);
  assert.equal(bodyFormat("application/cbor"), null);
});
