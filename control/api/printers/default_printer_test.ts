import assert from "node:assert/strict";
import { DEFAULT_PRINTER } from "./default_printer.ts";

Deno.test("DEFAULT_PRINTER has upstream's Name and Created At columns", () => {
  assert.deepEqual(
    DEFAULT_PRINTER.columns.map((c) => [c.name, c.type, c.format, c.priority]),
    [["Name", "string", "name", 0], ["Created At", "date", "", 0]],
  );
  assert.ok(DEFAULT_PRINTER.columns.every((c) => c.description.length > 0));
});

Deno.test("DEFAULT_PRINTER.row() prints the name and an RFC 3339 creation time", async (t) => {
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    ["role", { metadata: { name: "pod-reader", creationTimestamp: "2024-06-01T10:00:00Z" } }, [
      "pod-reader",
      "2024-06-01T10:00:00Z",
    ]],
    ["offset time", { metadata: { name: "x", creationTimestamp: "2024-06-01T12:30:00+02:00" } }, [
      "x",
      "2024-06-01T10:30:00Z",
    ]],
    ["no metadata", {}, ["", "0001-01-01T00:00:00Z"]],
  ];
  for (const [name, o, want] of cases) {
    await t.step(name, () => assert.deepEqual(DEFAULT_PRINTER.row(o, 0), want));
  }
});

Deno.test("DEFAULT_PRINTER asks for rows: null when a table is empty", () => {
  assert.equal(DEFAULT_PRINTER.nullRowsWhenEmpty, true);
});
