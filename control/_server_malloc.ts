/**
 * The C allocator under `skiff server`. glibc keeps what a burst freed: a list of 10k pods
 * allocates tens of MiB of short-lived buffers, and after it the process stays ~25 MiB larger
 * (free chunks inside the heap, arenas of threads that were busy) although nothing uses them
 * again. On a 1 GB device that is memory the pods need. {@linkcode QuietTrimmer} collects the
 * burst's garbage (a full V8 collection: the buffers it holds are malloc'd) and gives free pages
 * back (`malloc_trim(0)`) once the server has been quiet for a moment after it grew, and
 * the server makes at most two arenas from its start on (`mallopt(M_ARENA_MAX)`, what
 * `MALLOC_ARENA_MAX` sets before a process starts).
 *
 * The allocator is reached through `util/glibc_malloc.ts` (FFI); on another C library there is
 * nothing to tune.
 *
 * @module
 */
import type { Storage } from "./storage/types.ts";
import type { Clock, TimerHandle } from "./util/clock.ts";
import type { MallocControl } from "./util/glibc_malloc.ts";

/** What {@linkcode QuietTrimmer} needs. */
export interface QuietTrimmerDeps {
  readonly malloc: MallocControl;
  readonly clock: Clock;
  /** The process's resident size, bytes. @default {Deno.memoryUsage().rss} */
  readonly rssBytes?: () => number;
  /**
   * A full garbage collection, run before each trim: V8 runs without its memory reducer, so the
   * burst's garbage still holds its malloc'd buffers until V8 collects it. @default {none}
   */
  readonly collectGarbage?: (() => void) | null;
}

/** How {@linkcode QuietTrimmer} waits. */
export interface QuietTrimmerOptions {
  /** Trim once this long passed without {@linkcode QuietTrimmer.busy}. @default {200} */
  readonly quietMs?: number;
  /** …and only when the process grew this much since the last trim. @default {4 MiB} */
  readonly minGrowthBytes?: number;
}

/**
 * Trims the allocator when the server has been quiet for {@linkcode QuietTrimmerOptions.quietMs}
 * after work that made it grow: one timer per burst (a busy call only notes the time), none
 * while nothing happens, and no collection or trim when there is little to give back (a full
 * collection of a 10k-object heap takes tens of ms, paid once a burst, when nothing waits).
 */
export class QuietTrimmer implements Disposable {
  readonly #malloc: MallocControl;
  readonly #clock: Clock;
  readonly #rss: () => number;
  readonly #collect: (() => void) | null;
  readonly #quietMs: number;
  readonly #minGrowth: number;
  #lastBusy = 0;
  #base: number;
  #timer: TimerHandle | undefined;
  #disposed = false;

  constructor(deps: QuietTrimmerDeps, options: QuietTrimmerOptions = {}) {
    this.#malloc = deps.malloc;
    this.#clock = deps.clock;
    this.#rss = deps.rssBytes ?? (() => Deno.memoryUsage().rss);
    this.#collect = deps.collectGarbage ?? null;
    this.#quietMs = options.quietMs ?? 200;
    this.#minGrowth = options.minGrowthBytes ?? 4 * 1024 * 1024;
    this.#base = this.#rss();
  }

  /** Notes work: a trim may follow once the server has been quiet. */
  busy(): void {
    if (this.#disposed) return;
    this.#lastBusy = this.#clock.now();
    this.#timer ??= this.#clock.setTimeout(() => this.#check(), this.#quietMs);
  }

  #check(): void {
    this.#timer = undefined;
    if (this.#disposed) return;
    const quietFor = this.#clock.now() - this.#lastBusy;
    if (quietFor < this.#quietMs) {
      this.#timer = this.#clock.setTimeout(() => this.#check(), this.#quietMs - quietFor);
      return;
    }
    const rss = this.#rss();
    if (rss - this.#base >= this.#minGrowth) {
      this.#collect?.();
      this.#malloc.trim();
      this.#base = this.#rss();
    } else if (rss < this.#base) {
      this.#base = rss;
    }
  }

  [Symbol.dispose](): void {
    this.#disposed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}

/** The storage operations that mark the server busy. */
const WORK: ReadonlySet<PropertyKey> = new Set(["get", "list", "create", "update", "delete"]);

/** `storage`, calling `onWork` before each read and write (to see when the server is busy). */
export function observeStorage(storage: Storage, onWork: () => void): Storage {
  const methods = new Map<PropertyKey, unknown>();
  return new Proxy(storage, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      let method = methods.get(prop);
      if (method === undefined) {
        // Called on the storage itself: its #private fields are not the proxy's.
        method = WORK.has(prop)
          ? (...args: unknown[]) => {
            onWork();
            return value.apply(target, args);
          }
          : value.bind(target);
        methods.set(prop, method);
      }
      return method;
    },
  });
}
