/**
 * containerd's own events (`ctr --address <socket> events`: container created, task created and
 * started, with containerd's nanosecond timestamps), for `deno task bench agent`: they split a
 * pod's startup into the agent's, containerd's and the CNI plugin's parts without touching the
 * agent. {@linkcode podStartSegments} does the split for one pod from the events of its window.
 *
 * @module
 */
import { readLines } from "./_lines.ts";

/** One containerd event. */
export interface ContainerdEvent {
  /** Milliseconds since the epoch (fractional: containerd stamps nanoseconds). */
  readonly atEpochMs: number;
  readonly namespace: string;
  /** `/containers/create`, `/tasks/start`… */
  readonly topic: string;
  readonly payload: Record<string, unknown>;
}

/**
 * Parses a line of `ctr events`, e.g.
 * `2026-12-01 17:09:18.123456789 +0000 UTC k8s.io /tasks/start {"container_id":"…","pid":42}`;
 * null for anything else.
 */
export function parseCtrEventLine(line: string): ContainerdEvent | null {
  const m =
    /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))? ([+-])(\d\d)(\d\d) \S+ (\S+) (\/\S+)\s*(.*)$/
      .exec(line.trim());
  if (!m) return null;
  const [, date, time, frac = "", sign, oh, om, namespace, topic, rest] = m;
  const offsetMs = (sign === "-" ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
  const base = Date.parse(`${date}T${time}Z`);
  if (Number.isNaN(base)) return null;
  let payload: Record<string, unknown> = {};
  try {
    payload = rest ? JSON.parse(rest) : {};
  } catch {
    // not JSON: kept empty
  }
  return {
    atEpochMs: base - offsetMs + Number(`0.${frac || "0"}`) * 1000,
    namespace: namespace!,
    topic: topic!,
    payload,
  };
}

/** A pod's startup, split at containerd's events, ms. */
export interface PodStartSegments {
  /** `POST` written → the watch showed it bound (API server and scheduler). */
  readonly schedule: number;
  /** Bound seen → the sandbox's container created (the agent's pod sync before the sandbox). */
  readonly beforeSandbox: number;
  /**
   * Sandbox container created → its task created: containerd's CRI sets up the pod network
   * here (CNI ADD), and the shim starts.
   */
  readonly sandboxTaskCreate: number;
  /** Sandbox task created → started (runc start of the pause process). */
  readonly sandboxTaskStart: number;
  /** Sandbox task started → the app container created: RunPodSandbox's end, the agent's config. */
  readonly sandboxToContainer: number;
  /** App container created → its task created (shim, runc create). */
  readonly containerTaskCreate: number;
  /** App task created → started. */
  readonly containerTaskStart: number;
  /** App task started → the watch showed the pod Running (status write, watch). */
  readonly statusSeen: number;
}

/** The names of {@linkcode PodStartSegments}, in order. */
export const SEGMENTS = [
  "schedule",
  "beforeSandbox",
  "sandboxTaskCreate",
  "sandboxTaskStart",
  "sandboxToContainer",
  "containerTaskCreate",
  "containerTaskStart",
  "statusSeen",
] as const;

type Stamped = ContainerdEvent & { readonly at: number };

/** Container `id`'s create, task create and task start events, if all are there. */
export function containerStartEvents(
  events: readonly Stamped[],
  id: unknown,
): { created: Stamped; taskCreated: Stamped; started: Stamped } | null {
  const created = events.find((e) => e.topic === "/containers/create" && e.payload.id === id);
  const taskCreated = events.find((e) =>
    e.topic === "/tasks/create" && e.payload.container_id === id
  );
  const started = events.find((e) => e.topic === "/tasks/start" && e.payload.container_id === id);
  return created && taskCreated && started ? { created, taskCreated, started } : null;
}

/**
 * Splits one pod's startup at the events of its window (all in the bench's clock, ms): the
 * first `/containers/create` is its sandbox's (the pause container: CRI creates it first), the
 * next its app container's, each followed by that container's `/tasks/create` and
 * `/tasks/start`. Null when an event is missing.
 */
export function podStartSegments(
  events: readonly Stamped[],
  times: { postAt: number; boundAt: number; runningAt: number },
): PodStartSegments | null {
  const [sandboxCreate, appCreate] = events.filter((e) => e.topic === "/containers/create");
  const sandbox = sandboxCreate && containerStartEvents(events, sandboxCreate.payload.id);
  const app = appCreate && containerStartEvents(events, appCreate.payload.id);
  if (!sandbox || !app) return null;
  return {
    schedule: times.boundAt - times.postAt,
    beforeSandbox: sandbox.created.at - times.boundAt,
    sandboxTaskCreate: sandbox.taskCreated.at - sandbox.created.at,
    sandboxTaskStart: sandbox.started.at - sandbox.taskCreated.at,
    sandboxToContainer: app.created.at - sandbox.started.at,
    containerTaskCreate: app.taskCreated.at - app.created.at,
    containerTaskStart: app.started.at - app.taskCreated.at,
    statusSeen: times.runningAt - app.started.at,
  };
}

/** `ctr events` on a containerd socket, kept with the bench's clock (`performance.now()`). */
export class ContainerdEvents {
  readonly #child: Deno.ChildProcess;
  readonly #events: (ContainerdEvent & { at: number })[] = [];
  readonly #done: Promise<void>;

  constructor(address: string) {
    const child = new Deno.Command("ctr", {
      args: ["--address", address, "events"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#child = child;
    this.#done = (async () => {
      for await (const line of readLines(child.stdout)) {
        const e = parseCtrEventLine(line);
        if (e) this.#events.push({ ...e, at: e.atEpochMs - performance.timeOrigin });
      }
    })().catch(() => {});
  }

  /** Events stamped within [from, to] (bench clock), in order. */
  between(from: number, to: number): (ContainerdEvent & { at: number })[] {
    return this.#events.filter((e) => e.at >= from && e.at <= to);
  }

  /** Stops `ctr events`. */
  async stop(): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // gone
    }
    await this.#child.status;
    await this.#done;
  }
}
