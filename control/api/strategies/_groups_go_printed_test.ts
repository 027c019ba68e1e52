import assert from "node:assert/strict";
import {
  duplicateGo,
  goPointer,
  goStringSlice,
  goStruct,
  goStructSlice,
  goTime,
  invalidGo,
} from "./_groups_go_printed.ts";

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

Deno.test("go printers format values as Go's %#v", () => {
  assert.equal(goStruct("pkg.T", [["A", '"x"'], ["B", "1"]]), 'pkg.T{A:"x", B:1}');
  assert.equal(goStringSlice("string", undefined), "[]string(nil)");
  assert.equal(
    goStringSlice("networking.PolicyType", ["Ingress"]),
    '[]networking.PolicyType{"Ingress"}',
  );
  assert.equal(goStructSlice("networking.IngressRule", []), "[]networking.IngressRule{}");
  assert.equal(goPointer("int64", undefined), "(*int64)(nil)");
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
