/**
 * A client of another Deno process's V8 inspector (`deno run --inspect=127.0.0.1:<port>`), for
 * `deno task bench agent --inspect`: to profile the agent's CPU over a phase and to see what
 * its memory is — the heap after a full GC, and a heap snapshot summed by what holds the
 * bytes — without changing the agent's code. Speaks the Chrome DevTools protocol over the
 * inspector's WebSocket.
 *
 * @module
 */

/** One node kind's share of a heap snapshot. */
export interface HeapShare {
  /** `"code"`, `"string"`, `"object Foo"`, `"closure"`, `"array"`… */
  readonly what: string;
  readonly bytes: number;
  readonly count: number;
}

interface Snapshot {
  readonly snapshot: {
    readonly meta: { readonly "node_fields": string[]; readonly "node_types": unknown[] };
  };
  readonly nodes: number[];
  readonly strings: string[];
}

/**
 * Sums a heap snapshot's (`.heapsnapshot` JSON) self sizes by node type, and objects by
 * constructor name; the `top` largest, largest first.
 */
export function summarizeHeapSnapshot(
  snapshot: Snapshot,
  top: number,
): { total: number; shares: HeapShare[] } {
  const fields = snapshot.snapshot.meta["node_fields"];
  const types = snapshot.snapshot.meta["node_types"][0] as string[];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const sums = new Map<string, { bytes: number; count: number }>();
  let total = 0;
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt]!] ?? "?";
    const size = snapshot.nodes[i + sizeAt]!;
    total += size;
    const what = type === "object"
      ? `object ${snapshot.strings[snapshot.nodes[i + nameAt]!]}`
      : type;
    const s = sums.get(what) ?? { bytes: 0, count: 0 };
    s.bytes += size;
    s.count++;
    sums.set(what, s);
  }
  const shares = [...sums].map(([what, s]) => ({ what, ...s }))
    .sort((a, b) => b.bytes - a.bytes).slice(0, top);
  return { total, shares };
}

/** A `.cpuprofile`'s functions by self time, the `top` largest, µs. */
export function topSelfTime(
  profile: {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  },
  top: number,
): { totalUs: number; rows: { what: string; us: number }[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]!);
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    if (!n) continue;
    const f = n.callFrame;
    const where = f.url ? `${f.url.replace(/^.*\/work\/main\//, "")}:${f.lineNumber + 1}` : "";
    const key = `${f.functionName || "(anonymous)"} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const rows = [...self].map(([what, us]) => ({ what, us })).sort((a, b) => b.us - a.us)
    .slice(0, top);
  return { totalUs, rows };
}

/** A node of a sampling heap profile (`HeapProfiler.stopSampling`). */
export interface AllocationNode {
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  /** Bytes the samples attribute to this frame itself. */
  readonly selfSize: number;
  readonly children: readonly AllocationNode[];
}

/**
 * A sampling heap profile's bytes by allocating function, the `top` largest: `self` where the
 * function allocated itself, `total` with what its callees allocated (each frame counted
 * once per stack, so recursion does not count twice).
 */
export function topAllocations(
  head: AllocationNode,
  top: number,
): { totalBytes: number; rows: { what: string; self: number; total: number }[] } {
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let totalBytes = 0;
  const where = (n: AllocationNode) => {
    const f = n.callFrame;
    const at = f.url ? `${f.url.replace(/^.*\/work\/main\//, "")}:${f.lineNumber + 1}` : "";
    return `${f.functionName || "(anonymous)"} ${at}`.trim();
  };
  /** Returns the bytes under `n`; adds them to each frame not already on the stack. */
  const visit = (n: AllocationNode, onStack: Set<string>): number => {
    const key = where(n);
    self.set(key, (self.get(key) ?? 0) + n.selfSize);
    const fresh = !onStack.has(key);
    if (fresh) onStack.add(key);
    let sum = n.selfSize;
    for (const c of n.children) sum += visit(c, onStack);
    if (fresh) {
      onStack.delete(key);
      total.set(key, (total.get(key) ?? 0) + sum);
    }
    return sum;
  };
  totalBytes = visit(head, new Set());
  const rows = [...self].map(([what, bytes]) => ({ what, self: bytes, total: total.get(what)! }))
    .sort((a, b) => b.self - a.self).slice(0, top);
  return { totalBytes, rows };
}

/** One inspector session. */
export class InspectorClient {
  readonly #ws: WebSocket;
  #nextId = 1;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  readonly #listeners = new Map<string, (params: Record<string, unknown>) => void>();

  /** Wraps an open WebSocket to an inspector target (see {@linkcode InspectorClient.connect}). */
  constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
        method?: string;
        params?: Record<string, unknown>;
      };
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`Inspector answered: ${msg.error.message}`));
        else p?.resolve(msg.result);
      } else if (msg.method) {
        this.#listeners.get(msg.method)?.(msg.params ?? {});
      }
    };
    ws.onclose = () => {
      for (const p of this.#pending.values()) p.reject(new Error("Inspector connection closed"));
      this.#pending.clear();
    };
  }

  /** Connects to the inspector listening on 127.0.0.1:`port`, retrying for `timeoutMs`. */
  static async connect(port: number, timeoutMs: number): Promise<InspectorClient> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/json`);
        const targets = await res.json() as { webSocketDebuggerUrl: string }[];
        const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
        await new Promise((resolve, reject) => {
          ws.onopen = resolve;
          ws.onerror = () => reject(new Error(`Cannot open the inspector on port ${port}`));
        });
        const client = new InspectorClient(ws);
        await client.call("Runtime.enable");
        // Deno waits for this before it runs the program when started with --inspect-wait.
        await client.call("Runtime.runIfWaitingForDebugger").catch(() => {});
        return client;
      } catch (err) {
        if (performance.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Sends one protocol command and resolves with its result. */
  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** The value of `expression` evaluated in the process (awaited, by value). */
  async evaluate(expression: string): Promise<unknown> {
    const r = await this.call("Runtime.evaluate", {
      expression,
      awaitPromise: true,
      returnByValue: true,
    }) as { result: { value?: unknown }; exceptionDetails?: { text: string } };
    if (r.exceptionDetails) throw new Error(`Cannot evaluate: ${r.exceptionDetails.text}`);
    return r.result.value;
  }

  /** Forces a full GC, then reads `Deno.memoryUsage()` in the process, bytes. */
  async heapAfterGc(): Promise<{ heapUsed: number; heapTotal: number; external: number }> {
    await this.call("HeapProfiler.enable");
    await this.call("HeapProfiler.collectGarbage");
    return await this.evaluate(
      "(() => { const m = Deno.memoryUsage(); return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external }; })()",
    ) as { heapUsed: number; heapTotal: number; external: number };
  }

  /** Takes a heap snapshot (after a GC) and returns its JSON text. */
  async heapSnapshot(): Promise<string> {
    const chunks: string[] = [];
    this.#listeners.set("HeapProfiler.addHeapSnapshotChunk", (p) => chunks.push(String(p.chunk)));
    await this.call("HeapProfiler.enable");
    await this.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    this.#listeners.delete("HeapProfiler.addHeapSnapshotChunk");
    return chunks.join("");
  }

  /** Starts the CPU profiler, sampling every `intervalUs`. */
  async startProfile(intervalUs: number): Promise<void> {
    await this.call("Profiler.enable");
    await this.call("Profiler.setSamplingInterval", { interval: intervalUs });
    await this.call("Profiler.start");
  }

  /**
   * Starts sampling allocations, one sample per `intervalBytes` on average, counting objects
   * the GC collected since (what a phase allocates, not only what it keeps).
   */
  async startAllocationSampling(intervalBytes: number): Promise<void> {
    await this.call("HeapProfiler.enable");
    await this.call("HeapProfiler.startSampling", {
      samplingInterval: intervalBytes,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }

  /** Stops sampling allocations; the profile's root node. */
  async stopAllocationSampling(): Promise<AllocationNode> {
    const r = await this.call("HeapProfiler.stopSampling") as {
      profile: { head: AllocationNode };
    };
    return r.profile.head;
  }

  /** Stops the CPU profiler and returns the `.cpuprofile` object. */
  async stopProfile(): Promise<Parameters<typeof topSelfTime>[0]> {
    const r = await this.call("Profiler.stop") as { profile: Parameters<typeof topSelfTime>[0] };
    return r.profile;
  }

  close(): void {
    try {
      this.#ws.close();
    } catch {
      // closed
    }
  }
}
