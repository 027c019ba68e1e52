import assert from "node:assert/strict";
import { join } from "node:path";
import { checkModExports, findReExports } from "./check_mod_exports.ts";

Deno.test("findReExports() finds export-from specifiers only", () => {
  const source = [
    'export * from "./a.ts";',
    'export { b, type C } from "./b.ts";',
    'export type { D } from "./sub/mod.ts";',
    'import { e } from "./e.ts";',
    "export { e };",
  ].join("\n");
  assert.deepEqual([...findReExports(source)], ["a.ts", "b.ts", "sub/mod.ts"]);
});

Deno.test("checkModExports() reports public files and sub-modules a mod.ts misses", async () => {
  const root = await Deno.makeTempDir({ prefix: "skiff_mod_exports_test_" });
  try {
    const files: Record<string, string> = {
      "mod.ts": 'export * from "./lib/mod.ts";\n',
      "lib/mod.ts": 'export * from "./a.ts";\n',
      "lib/a.ts": "",
      "lib/b.ts": "",
      "lib/a_test.ts": "",
      "lib/_private.ts": "",
      "lib/inner/mod.ts": "",
      "lib/inner/c.ts": "",
      "lib/loose/d.ts": "",
      "tests/e.ts": "",
    };
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(join(root, path, ".."), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
    }
    assert.deepEqual(await checkModExports(root), [
      { mod: "lib/inner/mod.ts", specifier: "./c.ts" },
      { mod: "lib/mod.ts", specifier: "./b.ts" },
      { mod: "lib/mod.ts", specifier: "./inner/mod.ts" },
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
