/**
 * The C allocator under `skiff server`. glibc keeps what a burst freed: a list of 10k pods
 * allocates tens of MiB of short-lived buffers, and after it the process stays ~25 MiB larger
 * (free chunks inside the heap, arenas of threads that were busy) although nothing uses them
 * again. On a 1 GB device that is memory the pods need. {@linkcode QuietTrimmer} gives free
 * pages back (`malloc_trim(0)`) once the server has been quiet for a moment after it grew, and
 * the server makes at most two arenas from its start on (`mallopt(M_ARENA_MAX)`, what
 * `MALLOC_ARENA_MAX` sets before a process starts).
 *
 * Through Deno's FFI (`--allow-ffi`, part of `-A`); on another C library (musl) or without the
 * permission there is nothing to tune and {@linkcode openGlibcMalloc} returns null.
 *
 * @module
 */
import type { Storage } from "./storage/types.ts";
import type { Clock, TimerHandle } from "./util/clock.ts";

/** `mallopt`'s parameter for the arena limit (glibc's malloc.h). */
const M_ARENA_MAX = -8;

/** What the server asks of the C allocator. */
export interface MallocControl {
  /** Makes no more than `max` arenas from now on; false if the allocator refused. */
  limitArenas(max: number): boolean;
  /** Returns the allocator's free pages to the kernel; true if any were. */
  trim(): boolean;
}

const SYMBOLS = {
  mallopt: { parameters: ["i32", "i32"], result: "i32" },
  malloc_trim: { parameters: ["usize"], result: "i32" },
} as const;

/** glibc's `mallopt` and `malloc_trim`, or null when this process cannot call them. */
export function openGlibcMalloc(): (MallocControl & Disposable) | null {
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch {
    return null;
  }
  return {
    limitArenas: (max) => lib.symbols.mallopt(M_ARENA_MAX, max) === 1,
    trim: () => lib.symbols.malloc_trim(0n) === 1,
    [Symbol.dispose]: () => lib.close(),
  };
}

/** What {@linkcode QuietTrimmer} needs. */
export interface QuietTrimmerDeps {
  readonly malloc: MallocControl;
  readonly clock: Clock;
  /** The process's resident size, bytes. @default {Deno.memoryUsage().rss} */
  readonly rssBytes?: () => number;
}

/** How {@linkcode QuietTrimmer} waits. */
export interface QuietTrimmerOptions {
  /** Trim once this long passed without {@linkcode QuietTrimmer.busy}. @default {500} */
  readonly quietMs?: number;
  /** …and only when the process grew this much since the last trim. @default {4 MiB} */
  readonly minGrowthBytes?: number;
}

/**
 * Trims the allocator when the server has been quiet for {@linkcode QuietTrimmerOptions.quietMs}
 * after work that made it grow: one timer per burst (a busy call only notes the time), none
 * while nothing happens, and no trim when there is little to give back.
 */
export class QuietTrimmer implements Disposable {
  readonly #malloc: MallocControl;
  readonly #clock: Clock;
  readonly #rss: () => number;
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
    this.#quietMs = options.quietMs ?? 500;
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
