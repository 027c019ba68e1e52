import assert from "node:assert/strict";
import { rolloutHistory } from "./rollout_history.ts";

Deno.test("rolloutHistory() reads revisions and change causes, leaving out the header", () => {
  const stdout = "deployment.apps/web \nREVISION  CHANGE-CAUSE\n2         image busybox:2\n" +
    "3         <none>\n\n";
  assert.deepEqual(rolloutHistory(stdout), [[2, "image busybox:2"], [3, "<none>"]]);
  assert.deepEqual(rolloutHistory("statefulset.apps/web \nREVISION  CHANGE-CAUSE\n\n"), []);
});
