/**
 * When a pod watch showed each pod reach its milestones — bound to a node, Running (every
 * container running), gone — for `deno task bench agent`: the client side of the pod startup
 * SLI ("observed via watch"). It is fed the watch's lines with the time each was read, and
 * answers with a promise per pod and milestone.
 *
 * @module
 */

/** The parts of a watched pod {@linkcode podMilestones} reads. */
export interface TimelinePod {
  readonly metadata?: { readonly name?: string; readonly resourceVersion?: string };
  readonly spec?: { readonly nodeName?: string };
  readonly status?: {
    readonly phase?: string;
    readonly containerStatuses?: readonly { readonly state?: { readonly running?: unknown } }[];
  };
}

/** A pod's milestones. */
export type Milestone = "bound" | "running" | "deleted";

/** Which milestones a pod's state shows it has reached (not `deleted`: that is the event). */
export function podMilestones(pod: TimelinePod): { bound: boolean; running: boolean } {
  const statuses = pod.status?.containerStatuses ?? [];
  return {
    bound: (pod.spec?.nodeName ?? "") !== "",
    running: pod.status?.phase === "Running" && statuses.length > 0 &&
      statuses.every((c) => c.state?.running !== undefined),
  };
}

interface Entry {
  readonly at: Partial<Record<Milestone, number>>;
  readonly waiters: { milestone: Milestone; resolve: (at: number) => void }[];
}

/** The first time the watch showed each pod at each milestone. */
export class PodTimeline {
  readonly #pods = new Map<string, Entry>();
  #resourceVersion = "";
  #errors = 0;

  #entry(name: string): Entry {
    let e = this.#pods.get(name);
    if (!e) {
      e = { at: {}, waiters: [] };
      this.#pods.set(name, e);
    }
    return e;
  }

  #reach(name: string, milestone: Milestone, at: number): void {
    const e = this.#entry(name);
    if (e.at[milestone] !== undefined) return;
    e.at[milestone] = at;
    const due = e.waiters.filter((w) => w.milestone === milestone);
    e.waiters.splice(0, e.waiters.length, ...e.waiters.filter((w) => w.milestone !== milestone));
    for (const w of due) w.resolve(at);
  }

  /** The last resourceVersion seen (to watch again from), "" before any. */
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** Watch lines that were not a pod event (ERROR events, unparsable lines). */
  get errors(): number {
    return this.#errors;
  }

  /** Takes one watch line (a JSON event) read at `at` (`performance.now()`). */
  observe(line: string, at: number): void {
    if (line.trim() === "") return;
    let ev: { type?: string; object?: TimelinePod };
    try {
      ev = JSON.parse(line);
    } catch {
      this.#errors++;
      return;
    }
    const pod = ev.object;
    const name = pod?.metadata?.name;
    if (ev.type === "BOOKMARK") {
      this.#resourceVersion = pod?.metadata?.resourceVersion ?? this.#resourceVersion;
      return;
    }
    if (!name || (ev.type !== "ADDED" && ev.type !== "MODIFIED" && ev.type !== "DELETED")) {
      this.#errors++;
      return;
    }
    this.#resourceVersion = pod.metadata?.resourceVersion ?? this.#resourceVersion;
    const m = podMilestones(pod);
    if (m.bound) this.#reach(name, "bound", at);
    if (m.running) this.#reach(name, "running", at);
    if (ev.type === "DELETED") this.#reach(name, "deleted", at);
  }

  /** When `name` reached `milestone`, undefined if it has not yet. */
  at(name: string, milestone: Milestone): number | undefined {
    return this.#pods.get(name)?.at[milestone];
  }

  /** Resolves with the time `name` reaches (or reached) `milestone`. */
  when(name: string, milestone: Milestone): Promise<number> {
    const e = this.#entry(name);
    const at = e.at[milestone];
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve) => e.waiters.push({ milestone, resolve }));
  }

  /** Forgets `name` (a pod of that name created again starts a new timeline). */
  forget(name: string): void {
    this.#pods.delete(name);
  }
}
