/**
 * skiff's own lint rules (style.md §9.2, §10), loaded by `deno lint` through deno.json's
 * `lint.plugins`:
 *
 * - `skiff/no-top-level-arrow-syntax`: top-level functions are `function` declarations, not
 *   `const f = () => …` (they hoist, and the name shows in stack traces).
 * - `skiff/prefer-private-field`: `#field`, not the `private` keyword (which is only a type).
 * - `skiff/no-export-default`: named exports only.
 * - `skiff/exported-function-args-maximum`: an exported function takes at most 2 parameters;
 *   the rest go in an options object.
 *
 * @module
 */

/** The most positional parameters an exported function may take. */
const MAX_EXPORTED_PARAMS = 2;

type FunctionLike =
  | Deno.lint.FunctionDeclaration
  | Deno.lint.TSDeclareFunction
  | Deno.lint.FunctionExpression
  | Deno.lint.ArrowFunctionExpression;

function isTopLevel(node: Deno.lint.VariableDeclaration): boolean {
  const parent = node.parent;
  if (parent.type === "Program") return true;
  return parent.type === "ExportNamedDeclaration" && parent.parent.type === "Program";
}

/** Counts parameters, leaving out a TypeScript `this` parameter. */
function countParams(fn: FunctionLike): number {
  return fn.params.filter((p) => !(p.type === "Identifier" && p.name === "this")).length;
}

function checkParams(ctx: Deno.lint.RuleContext, name: string, fn: FunctionLike): void {
  const count = countParams(fn);
  if (count <= MAX_EXPORTED_PARAMS) return;
  ctx.report({
    node: fn,
    message:
      `Exported function "${name}" takes ${count} parameters: take at most ${MAX_EXPORTED_PARAMS}`,
    hint: "Put the remaining parameters into an exported options interface",
  });
}

const plugin: Deno.lint.Plugin = {
  name: "skiff",
  rules: {
    "no-top-level-arrow-syntax": {
      create(ctx) {
        return {
          VariableDeclaration(node) {
            if (!isTopLevel(node)) return;
            for (const decl of node.declarations) {
              if (decl.init?.type !== "ArrowFunctionExpression") continue;
              ctx.report({
                node: decl,
                message: "Top-level functions must be function declarations, not arrow functions",
                hint: "Write `function name(…) { … }`",
              });
            }
          },
        };
      },
    },
    "prefer-private-field": {
      create(ctx) {
        function check(
          node:
            | Deno.lint.PropertyDefinition
            | Deno.lint.MethodDefinition
            | Deno.lint.TSParameterProperty,
        ): void {
          // Deno 2.9 leaves `accessibility` unset on TSParameterProperty: read the modifier.
          const isPrivate = node.accessibility === "private" ||
            (node.type === "TSParameterProperty" &&
              /^private\b/.test(ctx.sourceCode.text.slice(node.range[0], node.range[1])));
          if (!isPrivate) return;
          ctx.report({
            range: node.range,
            message: "Use a #private member instead of the `private` keyword",
            hint: "Rename `private x` to `#x`",
          });
        }
        return {
          PropertyDefinition: check,
          MethodDefinition: check,
          TSParameterProperty: check,
        };
      },
    },
    "no-export-default": {
      create(ctx) {
        return {
          ExportDefaultDeclaration(node) {
            ctx.report({
              node,
              message: "Use named exports, not `export default`",
              hint: "Write `export function name` or `export const name`",
            });
          },
          ExportSpecifier(node) {
            const exported = node.exported;
            const name = exported.type === "Identifier" ? exported.name : exported.value;
            if (name !== "default") return;
            ctx.report({ node, message: "Use named exports, not `export { x as default }`" });
          },
        };
      },
    },
    "exported-function-args-maximum": {
      create(ctx) {
        return {
          ExportNamedDeclaration(node) {
            const decl = node.declaration;
            if (decl?.type === "FunctionDeclaration" || decl?.type === "TSDeclareFunction") {
              checkParams(ctx, decl.id?.name ?? "(anonymous)", decl);
            } else if (decl?.type === "VariableDeclaration") {
              for (const d of decl.declarations) {
                const init = d.init;
                if (
                  init?.type === "ArrowFunctionExpression" || init?.type === "FunctionExpression"
                ) {
                  checkParams(ctx, d.id.type === "Identifier" ? d.id.name : "(anonymous)", init);
                }
              }
            }
          },
        };
      },
    },
  },
};

// deno-lint-ignore skiff/no-export-default -- Deno loads a lint plugin from its default export.
export default plugin;
