import assert from "node:assert/strict";
import { DEFAULT_PRINTER } from "./default_printer.ts";
import { printerFor, PRINTERS } from "./printers.ts";
import { buildTable } from "./table.ts";

const NOW = Date.parse("2024-06-01T12:00:00Z");

Deno.test("PRINTERS holds the kind printers under <group>/<Kind>", () => {
  for (
    const key of [
      "/Pod",
      "/Service",
      "/Node",
      "/Event",
      "apps/Deployment",
      "apps/ControllerRevision",
      "batch/Job",
      "batch/CronJob",
      "coordination.k8s.io/Lease",
      "events.k8s.io/Event",
      "rbac.authorization.k8s.io/ClusterRoleBinding",
      "networking.k8s.io/Ingress",
    ]
  ) {
    assert.ok(PRINTERS.has(key), key);
  }
  assert.ok(PRINTERS.size >= 40);
  assert.ok([...PRINTERS.keys()].every((k) => /^[a-z0-9.]*\/[A-Z][A-Za-z]+$/.test(k)));
});

Deno.test("printerFor() finds kind printers and falls back to the default", () => {
  assert.equal(printerFor("", "Pod"), PRINTERS.get("/Pod"));
  assert.equal(printerFor("apps", "Deployment"), PRINTERS.get("apps/Deployment"));
  for (
    const [group, kind] of [
      ["rbac.authorization.k8s.io", "Role"],
      ["rbac.authorization.k8s.io", "ClusterRole"],
      ["", "LimitRange"],
      ["apiextensions.k8s.io", "CustomResourceDefinition"],
      ["example.com", "Widget"],
      ["apps", "Pod"],
    ]
  ) {
    assert.equal(printerFor(group!, kind!), DEFAULT_PRINTER, `${group}/${kind}`);
  }
});

Deno.test("every printer has well-formed columns", () => {
  for (const [key, p] of [...PRINTERS, ["default", DEFAULT_PRINTER] as const]) {
    assert.ok(p.columns.length > 0, key);
    assert.ok(p.columns.some((c) => c.format === "name"), key);
    for (const c of p.columns) {
      assert.ok(c.name.length > 0 && c.description.length > 0, key);
      assert.ok(["string", "integer", "boolean", "date", "number"].includes(c.type), key);
      assert.ok(c.priority === 0 || c.priority === 1, key);
    }
  }
});

Deno.test("every printer prints odd objects without throwing, one JSON cell per column", () => {
  const odd: Record<string, unknown>[] = [
    {},
    { metadata: null, spec: null, status: null },
    { metadata: "x", spec: [1], status: 7, data: "x", subsets: {}, webhooks: "w", regarding: 1 },
    {
      metadata: { name: 5, creationTimestamp: "not a time", deletionTimestamp: {} },
      spec: {
        containers: "x",
        selector: [],
        ports: [null, 3],
        rules: [1],
        metrics: [{ type: "Resource" }],
      },
      status: {
        conditions: [null, "x"],
        containerStatuses: [null],
        loadBalancer: { ingress: "x" },
      },
    },
  ];
  for (const [key, p] of PRINTERS) {
    for (const o of odd) {
      const cells = p.row(o, NOW);
      assert.equal(cells.length, p.columns.length, key);
      for (const cell of cells) {
        assert.ok(["string", "number", "boolean"].includes(typeof cell), `${key}: ${typeof cell}`);
      }
      const table = buildTable(p, { objects: [o], nowMs: NOW, includeObject: "Metadata" });
      assert.equal(table.rows?.length, 1, key);
    }
  }
});
