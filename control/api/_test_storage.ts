/**
 * A memory storage tests can slow down at two points the watch path races on: the replay of
 * one storage watch (a watcher caught up from storage lags the watch cache while it lasts) and
 * the moment right after a list (a write landing between a watch's initial list and the rest of
 * its setup).
 *
 * @example Replay one watch one event at a time
 * ```ts ignore
 * const storage = new SlowStorage();
 * const replay = storage.gateWatch("/registry/minions/", 1);
 * // … a watch from revision 1 starts; it gets nothing until:
 * replay.release(1);
 * ```
 *
 * @module
 */
import { MemoryStorage } from "../storage/memory.ts";
import type { ListOptions, ListResult, WatchEvent } from "../storage/types.ts";

/** The release valve of a gated watch (see {@linkcode SlowStorage.gateWatch}). */
export interface WatchGate {
  /** Lets `n` more events through. */
  release(n: number): void;
  /** Events let through so far. */
  readonly passed: number;
}

interface Gate extends WatchGate {
  readonly prefix: string;
  readonly from: number;
  /** Resolves once the next event may pass. */
  permit(signal: AbortSignal): Promise<void>;
}

function makeGate(prefix: string, from: number): Gate {
  let allowed = 0;
  let passed = 0;
  let wake: (() => void) | null = null;
  return {
    prefix,
    from,
    get passed() {
      return passed;
    },
    release(n) {
      allowed += n;
      const w = wake;
      wake = null;
      w?.();
    },
    async permit(signal) {
      while (allowed <= passed) {
        if (signal.aborted) throw signal.reason;
        await new Promise<void>((resolve) => {
          wake = resolve;
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
      }
      passed++;
    },
  };
}

/** {@linkcode MemoryStorage} with hooks that slow its watch replay and its lists down. */
export class SlowStorage extends MemoryStorage {
  readonly #gates: Gate[] = [];
  #afterList: (() => Promise<void>) | null = null;

  /**
   * Holds back every event of the next storage watch of `prefix` from `fromRevision`: each one
   * passes only when {@linkcode WatchGate.release} allows it.
   */
  gateWatch(prefix: string, fromRevision: number): WatchGate {
    const gate = makeGate(prefix, fromRevision);
    this.#gates.push(gate);
    return gate;
  }

  /** Runs `hook` once, after the next list has read its page and before it answers. */
  afterNextList(hook: () => Promise<void>): void {
    this.#afterList = hook;
  }

  override async list(prefix: string, options?: ListOptions): Promise<ListResult> {
    const page = await super.list(prefix, options);
    const hook = this.#afterList;
    this.#afterList = null;
    if (hook) await hook();
    return page;
  }

  override watch(prefix: string, from: number, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const inner = super.watch(prefix, from, signal);
    const at = this.#gates.findIndex((g) => g.prefix === prefix && g.from === from);
    if (at < 0) return inner;
    const gate = this.#gates.splice(at, 1)[0]!;
    return {
      async *[Symbol.asyncIterator]() {
        for await (const ev of inner) {
          await gate.permit(signal);
          yield ev;
        }
      },
    };
  }
}
