// deno-lint-ignore-file no-console
/**
 * The controller-manager process of `deno task bench controllers`: skiff's
 * {@linkcode ControllerManager} with `defaultControllers()`, in a process of its own (so that
 * its resident memory can be read from `/proc`), talking to a `skiff server` over HTTPS
 * ({@linkcode HttpsTransport.fromKubeconfig} with the admin kubeconfig, as an out-of-process
 * kube-controller-manager would), field manager `kube-controller-manager`, without leader
 * election (as `skiff server` runs it on its embedded Deno KV datastore).
 *
 * Its transport counts the requests it sends, by verb and resource, and the pod writes (creates
 * and deletes) in flight at once. Protocol: JSON lines on stdout (`{"event":"ready"}` once the
 * manager runs); commands as JSON lines on stdin: `{"cpu":true}` (answers the CPU time and request counts so
 * far and, with `--cpu-profile`, starts the profiler), `{"mem":true}` (answers `{"event":"mem",…}`:
 * CPU time, `/proc/self/status` as it is, then the V8 heap and `/proc/self/status` again after a
 * full GC, the request counts, and the sockets open now and at most (sampled each second);
 * stops the profiler and writes the profile), `{"stop":true}`.
 *
 * Usage: `deno run -A --v8-flags=<skiff's>,--expose-gc _controllers_host.ts --kubeconfig FILE
 * [--cpu-profile FILE] [--log-level warn] [--max-inflight N]` (a V8 `.cpuprofile` from `cpu` to `mem`, for Chrome DevTools).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { getHeapStatistics } from "node:v8";
import { Client } from "../../control/client/client.ts";
import { HttpsTransport } from "../../control/client/transport.ts";
import { ControllerManager } from "../../control/controllers/controller_manager.ts";
import { systemClock } from "../../control/util/clock.ts";
import { JsonLogger, LOG_LEVELS, type LogLevel } from "../../control/util/logger.ts";
import { CountingTransport } from "./_counting_transport.ts";
import { HostProfiler } from "./_host_profiler.ts";
import { readLines } from "./_lines.ts";
import { heapAfterGc, ownCpuUs, procStatusMiB } from "./_proc_stats.ts";

/** Whether a request path is a watch (`watch=1` or `watch=true`). */
function isWatch(path: string): boolean {
  return /[?&]watch=(1|true)(&|$)/.test(path);
}

/** `"POST pods"`, `"PUT replicasets/status"`, `"GET events"`… of a request path. */
export function requestKind(method: string, path: string): string {
  const bare = path.split("?")[0] ?? "";
  const parts = bare.split("/").filter((p) => p !== "");
  // /api/v1/... or /apis/<group>/<version>/...
  const rest = parts[0] === "api" ? parts.slice(2) : parts.slice(3);
  const watch = isWatch(path) ? " (watch)" : "";
  let i = 0;
  if (rest[0] === "namespaces" && rest.length >= 3) i = 2;
  const resource = rest[i] ?? "";
  const sub = rest[i + 2];
  return `${method} ${resource}${sub ? `/${sub}` : ""}${watch}`;
}

/** How many of this process's file descriptors are sockets (its TCP connections, mostly). */
async function socketCount(): Promise<number> {
  let n = 0;
  for await (const e of Deno.readDir("/proc/self/fd")) {
    try {
      if ((await Deno.readLink(`/proc/self/fd/${e.name}`)).startsWith("socket:")) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      kubeconfig: { type: "string" },
      "cpu-profile": { type: "string" },
      "log-level": { type: "string", default: "warn" },
      "max-inflight": { type: "string" },
    },
  });
  if (!values.kubeconfig) {
    console.error("usage: _controllers_host.ts --kubeconfig FILE [--cpu-profile FILE]");
    Deno.exit(2);
  }
  const level = values["log-level"];
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    console.error(`Cannot use --log-level "${level}": expected one of ${LOG_LEVELS.join(", ")}`);
    Deno.exit(2);
  }
  const logger = new JsonLogger({ level: level as LogLevel });
  // `--max-inflight N`: another cap than the transport's default, for experiments.
  const limit = values["max-inflight"] ? Number(values["max-inflight"]) : 0;
  const https = HttpsTransport.fromKubeconfig(await Deno.readTextFile(values.kubeconfig), {
    userAgent: "kube-controller-manager/skiff-bench",
    ...(limit > 0 ? { maxRequestsInFlight: limit } : {}),
  });
  // The pod writes (creates and deletes) in flight are tracked.
  const transport = new CountingTransport(https, {
    kindOf: requestKind,
    tracked: (_method, _path, kind) => kind === "POST pods" || kind === "DELETE pods",
  });
  const manager = new ControllerManager({
    client: new Client(transport, { fieldManager: "kube-controller-manager" }),
    clock: systemClock,
    logger,
    identity: `${Deno.hostname()}_${crypto.randomUUID()}`,
    leaderElection: false,
  });
  const stop = new AbortController();
  const running = manager.run(stop.signal).catch((err) =>
    logger.error("Controller manager stopped with an error", { error: String(err) })
  );
  const say = (obj: Record<string, unknown>) => console.log(JSON.stringify(obj));
  say({ event: "ready", controllers: manager.controllers });
  // The most sockets open at once, sampled every second.
  let maxSockets = 0;
  const sampler = setInterval(async () => {
    maxSockets = Math.max(maxSockets, await socketCount().catch(() => 0));
  }, 1000);

  const profiler = new HostProfiler();
  for await (const line of readLines(Deno.stdin.readable)) {
    if (line.trim() === "") continue;
    const cmd = JSON.parse(line) as { cpu?: boolean; mem?: boolean; stop?: boolean };
    if (cmd.cpu) {
      if (values["cpu-profile"]) await profiler.start();
      say({
        event: "cpu",
        cpuUs: ownCpuUs(),
        requests: Object.fromEntries(transport.counts),
        failedRequests: Object.fromEntries(transport.failures),
      });
    }
    if (cmd.mem) {
      const cpuUs = ownCpuUs();
      if (values["cpu-profile"]) await profiler.stopTo(values["cpu-profile"]);
      const before = await procStatusMiB("self");
      const heap = heapAfterGc();
      say({
        event: "mem",
        cpuUs,
        gc: heap.gc,
        procBeforeGc: before,
        proc: await procStatusMiB("self"),
        heapUsedMiB: heap.heapUsedMiB,
        heapTotalMiB: heap.heapTotalMiB,
        /** The V8 heap's resident pages (all spaces), and V8's own malloc. */
        heapPhysicalMiB: getHeapStatistics().total_physical_size / 2 ** 20,
        v8MallocMiB: getHeapStatistics().malloced_memory / 2 ** 20,
        externalMiB: heap.externalMiB,
        requests: Object.fromEntries(transport.counts),
        failedRequests: Object.fromEntries(transport.failures),
        maxPodWritesInflight: transport.maxInflight,
        sockets: await socketCount(),
        maxSockets,
      });
    }
    if (cmd.stop) break;
  }
  clearInterval(sampler);
  stop.abort();
  await running;
  https.close();
}

if (import.meta.main) await main();
