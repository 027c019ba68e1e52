import assert from "node:assert/strict";
import {
  BUILT_IN_PATCH_MEDIA_TYPES,
  CUSTOM_RESOURCE_PATCH_MEDIA_TYPES,
  parsePatchType,
} from "./patch_type.ts";

Deno.test("parsePatchType() reads the patch type of a Content-Type", async (t) => {
  const cases: [string | null | undefined, string | null][] = [
    ["application/json-patch+json", "json"],
    ["application/merge-patch+json", "merge"],
    ["application/strategic-merge-patch+json", "strategic"],
    ["application/apply-patch+yaml", "apply"],
    ["application/merge-patch+json; charset=utf-8", "merge"],
    ["APPLICATION/Strategic-Merge-Patch+JSON", "strategic"],
    ["  application/json-patch+json ; charset=UTF-8 ", "json"],
    ["application/json-patch+json;charset", "json"],
    ["application/apply-patch+cbor", null],
    ["application/json", null],
    ["application/yaml", null],
    ["application/json-patch", null],
    ["json-patch+json", null],
    ["application/json-patch+json x", null],
    ["", null],
    [null, null],
    [undefined, null],
  ];
  for (const [header, want] of cases) {
    await t.step(String(header), () => assert.equal(parsePatchType(header), want));
  }
});

Deno.test("BUILT_IN_PATCH_MEDIA_TYPES lists upstream's four types, custom resources three", () => {
  assert.deepEqual(BUILT_IN_PATCH_MEDIA_TYPES, [
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
  ]);
  assert.deepEqual(CUSTOM_RESOURCE_PATCH_MEDIA_TYPES, [
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
  ]);
});
