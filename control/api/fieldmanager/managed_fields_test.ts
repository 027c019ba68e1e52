import assert from "node:assert/strict";
import type { ManagedFieldsEntry } from "../types/meta_v1.ts";
import {
  decodeManagedFields,
  encodeManagedFields,
  ManagedFieldsError,
  managerIdentifier,
  sortManagedFields,
  validateManagedFields,
} from "./managed_fields.ts";

function entry(o: Partial<ManagedFieldsEntry>): ManagedFieldsEntry {
  return {
    manager: "m",
    operation: "Update",
    apiVersion: "v1",
    time: "2025-01-01T00:00:00Z",
    fieldsType: "FieldsV1",
    fieldsV1: { "f:data": {} },
    ...o,
  };
}

Deno.test("managerIdentifier() leaves the API version out of appliers' identities", async (t) => {
  const cases: { id: Parameters<typeof managerIdentifier>[0]; text: string }[] = [
    {
      id: { manager: "kubectl", operation: "Apply", apiVersion: "apps/v1" },
      text: '{"manager":"kubectl","operation":"Apply"}',
    },
    {
      id: { manager: "kubectl-edit", operation: "Update", apiVersion: "apps/v1" },
      text: '{"manager":"kubectl-edit","operation":"Update","apiVersion":"apps/v1"}',
    },
    {
      id: { manager: "kcm", operation: "Update", apiVersion: "apps/v1", subresource: "status" },
      text: '{"manager":"kcm","operation":"Update","apiVersion":"apps/v1","subresource":"status"}',
    },
    {
      id: { operation: "Update", apiVersion: "v1" },
      text: '{"operation":"Update","apiVersion":"v1"}',
    },
  ];
  for (const c of cases) await t.step(c.text, () => assert.equal(managerIdentifier(c.id), c.text));
});

Deno.test("decodeManagedFields() refuses entries as upstream does", async (t) => {
  const cases: { name: string; entries: unknown; message: string }[] = [
    {
      name: "bad operation",
      entries: [entry({ operation: "Patch" as never })],
      message: "operation must be `Apply` or `Update`",
    },
    {
      name: "no apiVersion",
      entries: [entry({ apiVersion: "" })],
      message: "apiVersion must not be empty",
    },
    {
      name: "no fieldsType",
      entries: [entry({ fieldsType: "" })],
      message: "missing fieldsType in managed fields entry 0",
    },
    {
      name: "another fieldsType",
      entries: [entry({}), entry({ fieldsType: "FieldsV2" })],
      message: 'invalid fieldsType "FieldsV2" in managed fields entry 1',
    },
    { name: "an empty entry", entries: [{}], message: "operation must be `Apply` or `Update`" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => decodeManagedFields(c.entries), (e: unknown) => {
        assert.ok(e instanceof ManagedFieldsError);
        assert.equal(e.message, c.message);
        return true;
      });
    });
  }
  await t.step("fieldsV1 that is no field set", () => {
    assert.throws(
      () => decodeManagedFields([entry({ fieldsV1: { "x:y": {} } })]),
      ManagedFieldsError,
    );
  });
});

Deno.test("encodeManagedFields() re-encodes canonically and sorts as upstream", () => {
  const entries = [
    entry({ manager: "b", time: "2025-01-02T00:00:00Z" }),
    entry({ manager: "a", time: "2025-01-02T00:00:00Z" }),
    entry({
      manager: "z",
      operation: "Apply",
      time: "2025-01-03T00:00:00Z",
      fieldsV1: { "f:b": {}, "f:a": {} },
    }),
    entry({ manager: "c", time: "2025-01-01T00:00:00Z", subresource: "status" }),
  ];
  const out = encodeManagedFields(decodeManagedFields(entries));
  assert.deepEqual(out.map((e) => e.manager), ["z", "c", "a", "b"]);
  assert.equal(JSON.stringify(out[0]?.fieldsV1), '{"f:a":{},"f:b":{}}');
  assert.equal(out[1]?.subresource, "status");
  // Apply entries keep their API version in the entry, not in their identity.
  assert.equal(out[0]?.apiVersion, "v1");
});

Deno.test("sortManagedFields() compares times by the second, then manager, API version, subresource", () => {
  const sorted = sortManagedFields([
    entry({ manager: "a", apiVersion: "v2" }),
    entry({ manager: "a", apiVersion: "v1", subresource: "status" }),
    entry({ manager: "a", apiVersion: "v1" }),
  ]);
  assert.deepEqual(sorted.map((e) => `${e.apiVersion}/${e.subresource ?? ""}`), [
    "v1/",
    "v1/status",
    "v2/",
  ]);
});

Deno.test("validateManagedFields() prints upstream's field errors", () => {
  const errs = validateManagedFields([
    entry({ manager: "x".repeat(129) }),
    entry({ manager: "tab\there" }),
  ]).map(String);
  assert.deepEqual(errs, [
    "metadata.managedFields[0].manager: Too long: may not be more than 128 bytes",
    'metadata.managedFields[1].manager: Invalid value: "tab\\there": invalid character U+0009 (at position 3)',
  ]);
});
