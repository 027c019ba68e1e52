import assert from "node:assert/strict";
import { describeChange } from "./_describe_change.ts";

Deno.test("describeChange() lists changed fields and skips semantically equal ones", () => {
  assert.equal(
    describeChange(
      { hostPath: { path: "/a" }, accessModes: [], nfs: undefined },
      { hostPath: { path: "/b" }, nfs: { server: "x" } },
    ),
    [
      '- hostPath: {"path":"/a"}',
      '+ hostPath: {"path":"/b"}',
      '+ nfs: {"server":"x"}',
    ].join("\n"),
  );
  assert.equal(describeChange({ a: [] }, {}), "");
});
