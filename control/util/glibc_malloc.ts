/**
 * glibc's allocator, tuned for the agent: a small daemon that runs for months next to the pods
 * of a 1 GB device. By default glibc gives threads arenas of their own (up to 8 a core), and
 * frees into them without returning the pages: the agent's bursts (starting 30 pods, a relist)
 * leave megabytes resident that nothing uses again. {@linkcode openGlibcMalloc} limits the arenas
 * (`mallopt(M_ARENA_MAX)`, what `MALLOC_ARENA_MAX` sets before a process starts: here it
 * applies to the arenas made from then on) and returns free pages to the kernel
 * (`malloc_trim(0)`); {@linkcode MallocTrimmer} trims a while after the process was last busy,
 * after a full V8 collection when it is given one (skiff runs V8 without its idle-time memory
 * reducer, so garbage of a burst otherwise stays until the heap grows again).
 *
 * Through Deno's FFI (`--allow-ffi`, part of `-A`); on another C library (musl) or without the
 * permission there is nothing to tune and {@linkcode openGlibcMalloc} returns null.
 *
 * @module
 */
import type { Clock, TimerHandle } from "./clock.ts";

/** `mallopt`'s parameter for the arena limit (glibc's malloc.h). */
const M_ARENA_MAX = -8;

/** What the agent asks of the C allocator. */
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

/**
 * glibc's `mallopt` and `malloc_trim` (see the module doc), or null when this process does not
 * use glibc or may not call it.
 */
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

/** How {@linkcode MallocTrimmer} waits. */
export interface MallocTrimmerOptions {
  /** Trim once this long passed after the last {@linkcode MallocTrimmer.busy}. @default {5000} */
  readonly quietMs?: number;
  /**
   * …and only when the process grew this much since the last trim (a full collection of a
   * large heap takes tens of ms: not worth it for little). @default {0} (trim every time)
   */
  readonly minGrowthBytes?: number;
}

/** What {@linkcode MallocTrimmer} uses. */
export interface MallocTrimmerDeps {
  readonly malloc: MallocControl;
  readonly clock: Clock;
  /** A full garbage collection, run before each trim (it frees what V8 held in malloc). */
  readonly collectGarbage?: (() => void) | null;
  /** The process's resident size, bytes. @default {Deno.memoryUsage().rss} */
  readonly rssBytes?: () => number;
}

/**
 * Trims the allocator once the process has been quiet for a while after being busy (the
 * agent's pod changes, the server's storage work): one timer a burst (a busy call only notes
 * the time), none while nothing happens, and with `minGrowthBytes` no collection or trim when
 * there is little to give back.
 */
export class MallocTrimmer implements Disposable {
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

  constructor(deps: MallocTrimmerDeps, options: MallocTrimmerOptions = {}) {
    this.#malloc = deps.malloc;
    this.#clock = deps.clock;
    this.#rss = deps.rssBytes ?? (() => Deno.memoryUsage().rss);
    this.#collect = deps.collectGarbage ?? null;
    this.#quietMs = options.quietMs ?? 5000;
    this.#minGrowth = options.minGrowthBytes ?? 0;
    this.#base = this.#minGrowth > 0 ? this.#rss() : 0;
  }

  /** Notes work that allocated: a trim follows once the process has been quiet. */
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
    if (this.#minGrowth <= 0) {
      this.#collect?.();
      this.#malloc.trim();
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
