import assert from "node:assert/strict";
import {
  isBindPlugin,
  isFilterPlugin,
  isPermitPlugin,
  isPostBindPlugin,
  isPostFilterPlugin,
  isPreBindPlugin,
  isPreFilterPlugin,
  isPreFilterStatus,
  isPreScorePlugin,
  isQueueSortPlugin,
  isReservePlugin,
  isScorePlugin,
  type Plugin,
} from "./framework.ts";
import { skip } from "./status.ts";

Deno.test("extension point guards recognize what a plugin implements", async (t) => {
  const guards = {
    queueSort: isQueueSortPlugin,
    preFilter: isPreFilterPlugin,
    filter: isFilterPlugin,
    postFilter: isPostFilterPlugin,
    preScore: isPreScorePlugin,
    score: isScorePlugin,
    reserve: isReservePlugin,
    permit: isPermitPlugin,
    preBind: isPreBindPlugin,
    bind: isBindPlugin,
    postBind: isPostBindPlugin,
  };
  const method: Record<keyof typeof guards, string> = {
    queueSort: "less",
    preFilter: "preFilter",
    filter: "filter",
    postFilter: "postFilter",
    preScore: "preScore",
    score: "score",
    reserve: "reserve",
    permit: "permit",
    preBind: "preBind",
    bind: "bind",
    postBind: "postBind",
  };
  for (const [point, guard] of Object.entries(guards)) {
    await t.step(point, () => {
      const plugin = { name: "P", [method[point as keyof typeof guards]]: () => null } as Plugin;
      for (const [other, otherGuard] of Object.entries(guards)) {
        assert.equal(otherGuard(plugin), other === point, `${other} guard on a ${point} plugin`);
      }
      assert.ok(guard(plugin));
    });
  }
});

Deno.test("isPreFilterStatus() tells statuses from node-name results", () => {
  assert.ok(isPreFilterStatus(skip()));
  assert.ok(!isPreFilterStatus(null));
  assert.ok(!isPreFilterStatus({ nodeNames: new Set(["a"]) }));
});
