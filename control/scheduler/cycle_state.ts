/**
 * Per-cycle plugin state (upstream `framework.CycleState`): what a plugin computes at PreFilter
 * or PreScore and reads back at Filter or Score, keyed by typed {@linkcode StateKey}s. A
 * preemption dry run clones the state, so every value knows how to clone itself; immutable
 * values return themselves.
 *
 * @example Write at PreFilter, read at Filter
 * ```ts
 * import assert from "node:assert/strict";
 * import { CycleState, stateKey } from "./cycle_state.ts";
 *
 * class Requests {
 *   constructor(readonly milliCpu: number) {}
 *   clone(): Requests { return this; }
 * }
 * const KEY = stateKey<Requests>("PreFilterNodeResourcesFit");
 * const state = new CycleState();
 * state.write(KEY, new Requests(250));
 * assert.equal(state.read(KEY)?.milliCpu, 250);
 * assert.equal(state.clone().read(KEY)?.milliCpu, 250);
 * ```
 *
 * @module
 */

/** A value kept in a {@linkcode CycleState}. */
export interface StateData {
  /** A copy that later changes to either do not affect the other (or `this` if immutable). */
  clone(): StateData;
}

/** A typed key: reading it gives back the type written under it. */
export interface StateKey<T extends StateData> {
  readonly name: string;
  /** Carries the type only; never set. */
  readonly type?: T;
}

/** A key named `name` (upstream uses `"PreFilter" + pluginName` and the like). */
export function stateKey<T extends StateData>(name: string): StateKey<T> {
  return { name };
}

const NONE: ReadonlySet<string> = new Set();

/** The state of one scheduling cycle. */
export class CycleState {
  readonly #data = new Map<string, StateData>();
  /** Plugins whose PreFilter returned `Skip`: their Filter does not run this cycle. */
  skipFilterPlugins: ReadonlySet<string> = NONE;
  /** Plugins whose PreScore returned `Skip`: their Score does not run this cycle. */
  skipScorePlugins: ReadonlySet<string> = NONE;

  /** The value written under `key`, or `undefined`. */
  read<T extends StateData>(key: StateKey<T>): T | undefined {
    return this.#data.get(key.name) as T | undefined;
  }

  /** Stores `value` under `key`, replacing what was there. */
  write<T extends StateData>(key: StateKey<T>, value: T): void {
    this.#data.set(key.name, value);
  }

  /** Removes the value under `key`. */
  delete(key: StateKey<StateData>): void {
    this.#data.delete(key.name);
  }

  /** A copy with every value cloned. */
  clone(): CycleState {
    const copy = new CycleState();
    for (const [name, value] of this.#data) copy.#data.set(name, value.clone());
    copy.skipFilterPlugins = this.skipFilterPlugins;
    copy.skipScorePlugins = this.skipScorePlugins;
    return copy;
  }
}
