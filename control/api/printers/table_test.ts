import assert from "node:assert/strict";
import { buildTable, parseIncludeObject, type Printer } from "./table.ts";
import { DEFAULT_PRINTER } from "./default_printer.ts";
import { printerFor } from "./printers.ts";

const NOW = Date.parse("2024-06-01T12:00:00Z");

const CM = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: {
    name: "app",
    namespace: "default",
    uid: "u-1",
    resourceVersion: "41",
    creationTimestamp: "2024-06-01T11:55:00Z",
    labels: { app: "shop" },
  },
  data: { a: "1" },
};

Deno.test("buildTable() emits upstream's Table JSON with PartialObjectMetadata rows", () => {
  const table = buildTable(printerFor("", "ConfigMap"), {
    objects: [CM],
    nowMs: NOW,
    includeObject: "Metadata",
    resourceVersion: "42",
  });
  assert.equal(
    JSON.stringify(table),
    JSON.stringify({
      kind: "Table",
      apiVersion: "meta.k8s.io/v1",
      metadata: { resourceVersion: "42" },
      columnDefinitions: printerFor("", "ConfigMap").columns,
      rows: [{
        cells: ["app", 1, "5m"],
        object: {
          kind: "PartialObjectMetadata",
          apiVersion: "meta.k8s.io/v1",
          metadata: CM.metadata,
        },
      }],
    }),
  );
  assert.deepEqual(
    table.columnDefinitions?.map((c) => Object.keys(c)),
    [0, 1, 2].map(() => ["name", "type", "format", "description", "priority"]),
  );
});

Deno.test("buildTable() row objects follow includeObject", async (t) => {
  await t.step("None gives object: null", () => {
    const table = buildTable(DEFAULT_PRINTER, { objects: [CM], nowMs: NOW, includeObject: "None" });
    assert.deepEqual(table.rows, [{ cells: ["app", "2024-06-01T11:55:00Z"], object: null }]);
    assert.equal(
      JSON.stringify(table.rows?.[0]),
      '{"cells":["app","2024-06-01T11:55:00Z"],"object":null}',
    );
  });
  await t.step("Object gives the full object", () => {
    const table = buildTable(DEFAULT_PRINTER, {
      objects: [CM],
      nowMs: NOW,
      includeObject: "Object",
    });
    assert.equal(table.rows?.[0]?.object, CM);
  });
  await t.step("Object with objectType sets apiVersion and kind", () => {
    const bare = { metadata: { name: "x" } };
    const table = buildTable(DEFAULT_PRINTER, {
      objects: [bare],
      nowMs: NOW,
      includeObject: "Object",
      objectType: { apiVersion: "v1", kind: "ConfigMap" },
    });
    assert.equal(
      JSON.stringify(table.rows?.[0]?.object),
      '{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x"}}',
    );
  });
  await t.step("Metadata of an object without metadata is empty", () => {
    const table = buildTable(DEFAULT_PRINTER, {
      objects: [{}],
      nowMs: NOW,
      includeObject: "Metadata",
    });
    assert.deepEqual(table.rows?.[0]?.object, {
      kind: "PartialObjectMetadata",
      apiVersion: "meta.k8s.io/v1",
      metadata: {},
    });
  });
});

Deno.test("buildTable() copies list metadata and honours noHeaders and v1beta1", () => {
  const table = buildTable(DEFAULT_PRINTER, {
    objects: [CM],
    nowMs: NOW,
    includeObject: "Metadata",
    resourceVersion: "7",
    continue: "tok",
    remainingItemCount: 0,
    noHeaders: true,
    tableVersion: "v1beta1",
  });
  assert.equal(table.apiVersion, "meta.k8s.io/v1beta1");
  assert.equal(
    JSON.stringify(table.metadata),
    '{"resourceVersion":"7","continue":"tok","remainingItemCount":0}',
  );
  assert.equal(table.columnDefinitions, null);
  assert.equal(table.rows?.[0]?.object?.apiVersion, "meta.k8s.io/v1beta1");
  const bare = buildTable(DEFAULT_PRINTER, { objects: [CM], nowMs: NOW, includeObject: "None" });
  assert.deepEqual(bare.metadata, {});
});

Deno.test("buildTable() of no objects gives rows: [] for kind printers, null for the default", () => {
  const empty = { objects: [], nowMs: NOW, includeObject: "Metadata" as const };
  assert.deepEqual(buildTable(printerFor("", "Pod"), empty).rows, []);
  assert.equal(buildTable(DEFAULT_PRINTER, empty).rows, null);
  assert.equal(buildTable(DEFAULT_PRINTER, empty).columnDefinitions?.length, 2);
});

Deno.test("buildTable() puts row conditions between cells and object", () => {
  const printer: Printer = {
    columns: [],
    row: () => ["x"],
    conditions: () => [{ type: "Completed", status: "True", reason: "Succeeded" }],
  };
  const table = buildTable(printer, { objects: [{}], nowMs: NOW, includeObject: "None" });
  assert.equal(
    JSON.stringify(table.rows),
    '[{"cells":["x"],"conditions":[{"type":"Completed","status":"True","reason":"Succeeded"}],"object":null}]',
  );
});

Deno.test("buildTable() returns copies of the column definitions", () => {
  const table = buildTable(DEFAULT_PRINTER, { objects: [], nowMs: NOW, includeObject: "None" });
  table.columnDefinitions![0]!.name = "changed";
  assert.equal(DEFAULT_PRINTER.columns[0]!.name, "Name");
});

Deno.test("parseIncludeObject() defaults to Metadata and refuses unknown values", async (t) => {
  for (
    const [value, want] of [
      [undefined, "Metadata"],
      [null, "Metadata"],
      ["", "Metadata"],
      [
        "None",
        "None",
      ],
      ["Object", "Object"],
      ["Metadata", "Metadata"],
    ] as const
  ) {
    await t.step(`${value}`, () => assert.equal(parseIncludeObject(value), want));
  }
  assert.throws(() => parseIncludeObject("object"), {
    name: "RangeError",
    message: 'unrecognized includeObject value: "object"',
  });
});
