import assert from "node:assert/strict";
import { CycleState, stateKey } from "./cycle_state.ts";

class Counter {
  constructor(public count: number) {}
  clone(): Counter {
    return new Counter(this.count);
  }
}

Deno.test("CycleState stores typed values per key and clones them deeply", () => {
  const key = stateKey<Counter>("PreFilterCounter");
  const state = new CycleState();
  assert.equal(state.read(key), undefined);
  state.write(key, new Counter(1));
  state.skipFilterPlugins = new Set(["NodePorts"]);
  const copy = state.clone();
  copy.read(key)!.count = 5;
  assert.equal(state.read(key)!.count, 1, "the clone's values are its own");
  assert.ok(copy.skipFilterPlugins.has("NodePorts"));
  state.delete(key);
  assert.equal(state.read(key), undefined);
  assert.equal(copy.read(key)!.count, 5);
});
