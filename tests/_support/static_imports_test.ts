import assert from "node:assert/strict";
import { staticImports } from "./static_imports.ts";

Deno.test("staticImports() follows static imports transitively and leaves dynamic ones out", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/a.ts`,
      'import "./b.ts";\nexport const lazy = () => import("./c.ts");\n',
    );
    await Deno.writeTextFile(`${dir}/b.ts`, 'import "./d.ts";\n');
    await Deno.writeTextFile(`${dir}/c.ts`, "export {};\n");
    await Deno.writeTextFile(`${dir}/d.ts`, "export {};\n");
    const entry = new URL(`file://${dir}/a.ts`);
    const names = [...await staticImports(entry)].map((s) => s.slice(s.lastIndexOf("/") + 1));
    assert.deepEqual(names.sort(), ["a.ts", "b.ts", "d.ts"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
