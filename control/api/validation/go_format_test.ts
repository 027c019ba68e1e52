import assert from "node:assert/strict";
import {
  duplicateGo,
  goIntOrString,
  goLabelSelector,
  goPointer,
  goQuote,
  goStringMap,
  goStringSlice,
  goStruct,
  goStructSlice,
  goTime,
  invalidGo,
  printedError,
} from "./go_format.ts";

Deno.test("invalidGo() and duplicateGo() print the value verbatim", () => {
  const err = invalidGo("roleRef", {
    text: 'rbac.RoleRef{Name:"a"}',
    detail: "cannot change roleRef",
  });
  assert.equal(
    err.toString(),
    'roleRef: Invalid value: rbac.RoleRef{Name:"a"}: cannot change roleRef',
  );
  assert.equal(err.reason, "FieldValueInvalid");
  assert.equal(duplicateGo("x[1]", "core.T{}").toString(), "x[1]: Duplicate value: core.T{}");
});

Deno.test("printedError() keeps the decoded value and prints the text", () => {
  const err = printedError("spec.ipFamilies", {
    type: "notSupported",
    value: ["IPv5"],
    text: goStringSlice("core.IPFamily", ["IPv5"]),
    detail: 'supported values: "IPv4", "IPv6"',
  });
  assert.equal(
    err.toString(),
    'spec.ipFamilies: Unsupported value: []core.IPFamily{"IPv5"}: supported values: "IPv4", "IPv6"',
  );
  assert.deepEqual(err.value, ["IPv5"]);
  assert.equal(invalidGo("x", { text: "t" }).value, "t");
  assert.equal(invalidGo("x", { text: "t" }).toString(), "x: Invalid value: t");
});

Deno.test("go printers format values as Go's %#v", () => {
  assert.equal(goQuote('a"b'), '"a\\"b"');
  assert.equal(goStruct("pkg.T", [["A", '"x"'], ["B", "1"]]), 'pkg.T{A:"x", B:1}');
  assert.equal(goStringSlice("string", undefined), "[]string(nil)");
  assert.equal(
    goStringSlice("networking.PolicyType", ["Ingress"]),
    '[]networking.PolicyType{"Ingress"}',
  );
  assert.equal(goStructSlice("networking.IngressRule", []), "[]networking.IngressRule{}");
  assert.equal(goStructSlice("networking.IngressRule", undefined), "[]networking.IngressRule(nil)");
  assert.equal(goPointer("int64", false), "(*int64)(nil)");
  assert.equal(goPointer("int64", true), "(*int64)(0xc000000000)");
  assert.equal(goStringMap(undefined), "map[string]string(nil)");
  assert.equal(goStringMap({ b: "2", a: "1" }), 'map[string]string{"a":"1", "b":"2"}');
});

Deno.test("goIntOrString() and goLabelSelector() print apimachinery types", () => {
  assert.equal(goIntOrString(3), 'intstr.IntOrString{Type:0, IntVal:3, StrVal:""}');
  assert.equal(goIntOrString("25%"), 'intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}');
  assert.equal(goLabelSelector(undefined), "null");
  assert.equal(
    goLabelSelector({
      matchLabels: { app: "web" },
      matchExpressions: [{ key: "tier", operator: "In", values: ["a"] }],
    }),
    'v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"tier", Operator:"In", Values:[]string{"a"}}}}',
  );
});

Deno.test("goTime() prints times as Go's time.Time.String() in UTC", async (t) => {
  const cases: [string | undefined, string][] = [
    [undefined, "0001-01-01 00:00:00 +0000 UTC"],
    ["2024-01-02T03:04:05Z", "2024-01-02 03:04:05 +0000 UTC"],
    ["2024-01-02T03:04:05.120000Z", "2024-01-02 03:04:05.12 +0000 UTC"],
    ["2024-01-02T03:04:05+02:00", "2024-01-02 01:04:05 +0000 UTC"],
  ];
  for (const [input, want] of cases) {
    await t.step(String(input), () => assert.equal(goTime(input), want));
  }
});
