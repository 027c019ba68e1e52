import assert from "node:assert/strict";
import { join } from "node:path";
import { checkImport, checkLayers, findImportSpecifiers } from "./check_layers.ts";

Deno.test("findImportSpecifiers() finds static, re-export, side-effect and dynamic imports", () => {
  const source = [
    'import assert from "node:assert/strict";',
    'import { a, type B } from "./a.ts";',
    "import {",
    "  c,",
    "  d as e,",
    '} from "../c.ts";',
    'import type { T } from "./types.ts";',
    'import * as ns from "./ns.ts";',
    'export * from "./re.ts";',
    'export { x } from "./x.ts";',
    'import "./side.ts";',
    'const m = await import("./lazy.ts");',
    'import data from "./data.json" with { type: "json" };',
    ' * import { fake } from "./in_jsdoc.ts";',
    '// import { gone } from "./commented.ts";',
    "export function f() {",
    '  return "from ./not_an_import.ts";',
    "}",
  ].join("\n");
  assert.deepEqual(findImportSpecifiers(source), [
    "node:assert/strict",
    "./a.ts",
    "../c.ts",
    "./types.ts",
    "./ns.ts",
    "./re.ts",
    "./x.ts",
    "./side.ts",
    "./lazy.ts",
    "./data.json",
  ]);
});

Deno.test("checkImport() applies the layering rules", async (t) => {
  const cases: { file: string; target: string; ok: boolean }[] = [
    { file: "control/util/clock.ts", target: "control/util/logger.ts", ok: true },
    { file: "control/util/clock.ts", target: "control/storage/types.ts", ok: false },
    { file: "control/storage/memory.ts", target: "control/util/mod.ts", ok: true },
    { file: "control/storage/memory.ts", target: "control/api/app.ts", ok: false },
    { file: "control/storage/memory.ts", target: "control/config.ts", ok: false },
    { file: "control/api/app.ts", target: "control/storage/mod.ts", ok: true },
    { file: "control/api/app.ts", target: "control/client/client.ts", ok: false },
    { file: "control/api/types/core_v1.ts", target: "control/storage/mod.ts", ok: false },
    { file: "control/api/types/core_v1.ts", target: "control/util/mod.ts", ok: true },
    { file: "control/client/fake_client.ts", target: "control/storage/memory.ts", ok: true },
    { file: "control/scheduler/queue.ts", target: "control/client/mod.ts", ok: true },
    { file: "control/scheduler/queue.ts", target: "control/api/types/core_v1.ts", ok: true },
    { file: "control/scheduler/queue.ts", target: "control/api/app.ts", ok: false },
    { file: "control/scheduler/queue.ts", target: "control/storage/mod.ts", ok: false },
    { file: "control/controllers/rs.ts", target: "control/scheduler/mod.ts", ok: false },
    { file: "control/server.ts", target: "control/storage/registry.ts", ok: true },
    { file: "control/server.ts", target: "node/agent.ts", ok: true },
    { file: "control/server.ts", target: "tests/_support/x.ts", ok: false },
    { file: "control/server_test.ts", target: "tests/_support/x.ts", ok: true },
    { file: "node/agent.ts", target: "control/client/mod.ts", ok: true },
    { file: "node/agent.ts", target: "control/api/types/core_v1.ts", ok: true },
    { file: "node/agent.ts", target: "control/storage/mod.ts", ok: false },
    { file: "node/agent.ts", target: "control/config.ts", ok: false },
    { file: "cni/bridge.ts", target: "control/util/mod.ts", ok: true },
    { file: "cni/bridge.ts", target: "control/client/mod.ts", ok: false },
    { file: "mod.ts", target: "control/cli.ts", ok: true },
    { file: "tests/e2e/x_test.ts", target: "control/storage/memory.ts", ok: true },
    { file: "scripts/bench.ts", target: "control/storage/mod.ts", ok: true },
    { file: "mod.ts", target: "../elsewhere.ts", ok: false },
  ];
  for (const c of cases) {
    await t.step(`${c.file} → ${c.target}`, () => {
      assert.equal(checkImport(c.file, c.target) === null, c.ok);
    });
  }
});

Deno.test("checkLayers() reports each violating import in a tree", async () => {
  const root = await Deno.makeTempDir({ prefix: "skiff_layers_test_" });
  try {
    const files: Record<string, string> = {
      "control/util/clock.ts": 'import { x } from "../storage/types.ts";\n',
      "control/storage/types.ts": 'import { Clock } from "../util/clock.ts";\n',
      "cni/mod.ts": 'export * from "../control/storage/types.ts";\n',
      "mod.ts": 'export * from "./cni/mod.ts";\n',
    };
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(join(root, path, ".."), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
    }
    const violations = await checkLayers(root);
    assert.deepEqual(violations.map((v) => `${v.file} -> ${v.target}`), [
      "cni/mod.ts -> control/storage/types.ts",
      "control/util/clock.ts -> control/storage/types.ts",
    ]);
    assert.equal(violations[1]?.reason, "control/util may import only control/util");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
