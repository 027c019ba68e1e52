import assert from "node:assert/strict";
import plugin from "./lint_plugin.ts";

function lint(source: string): string[] {
  return Deno.lint.runPlugin(plugin, "example.ts", source).map((d) => d.id);
}

Deno.test("lint plugin no-top-level-arrow-syntax flags only top-level arrow consts", async (t) => {
  const cases = [
    { source: "const f = () => 1;", ids: ["skiff/no-top-level-arrow-syntax"] },
    {
      source: "export const f = async (x: number) => x;",
      ids: ["skiff/no-top-level-arrow-syntax"],
    },
    { source: "function f() { const g = () => 1; return g; }", ids: [] },
    { source: "const x = [1].map((n) => n);", ids: [] },
    { source: "export function f(): number { return 1; }", ids: [] },
  ];
  for (const c of cases) {
    await t.step(c.source, () => assert.deepEqual(lint(c.source), c.ids));
  }
});

Deno.test("lint plugin prefer-private-field flags the private keyword", async (t) => {
  const cases = [
    { source: "class A { private x = 1; }", ids: ["skiff/prefer-private-field"] },
    { source: "class A { private m(): void {} }", ids: ["skiff/prefer-private-field"] },
    {
      source: "class A { constructor(private x: number) {} }",
      ids: ["skiff/prefer-private-field"],
    },
    { source: "class A { #x = 1; protected y = 2; readonly z = 3; }", ids: [] },
  ];
  for (const c of cases) {
    await t.step(c.source, () => assert.deepEqual(lint(c.source), c.ids));
  }
});

Deno.test("lint plugin no-export-default flags default exports", async (t) => {
  const cases = [
    { source: "export default function f() {}", ids: ["skiff/no-export-default"] },
    { source: "const x = 1; export default x;", ids: ["skiff/no-export-default"] },
    { source: "const x = 1; export { x as default };", ids: ["skiff/no-export-default"] },
    { source: "const x = 1; export { x as y };", ids: [] },
  ];
  for (const c of cases) {
    await t.step(c.source, () => assert.deepEqual(lint(c.source), c.ids));
  }
});

Deno.test("lint plugin exported-function-args-maximum allows at most 2 parameters", async (t) => {
  const rule = "skiff/exported-function-args-maximum";
  const cases = [
    { source: "export function f(a: 1, b: 2, c: 3) {}", ids: [rule] },
    { source: "export function f(a: 1, ...rest: 2[]) {}", ids: [] },
    { source: "export function f(this: unknown, a: 1, b: 2) {}", ids: [] },
    { source: "export function f(a: 1, b: 2, c: 3): void;\nexport function f() {}", ids: [rule] },
    { source: "export const f = function (a: 1, b: 2, c: 3) {};", ids: [rule] },
    { source: "function f(a: 1, b: 2, c: 3) {}", ids: [] },
    { source: "export function f(a: 1, b: 2) {}", ids: [] },
  ];
  for (const c of cases) {
    await t.step(c.source, () => assert.deepEqual(lint(c.source), c.ids));
  }
});
