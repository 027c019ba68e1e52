/**
 * Starting and stopping the benchmarks' child processes (a `skiff server`, a host of
 * controllers or the scheduler): a free port, skiff's V8 flags, CPU pinning, the admin
 * kubeconfig's TLS settings, and a stop that kills what does not exit in time.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import { Http1Connection, type TlsOptions } from "./_http1_client.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DENO_JSON = `${ROOT}deno.json`;

/** Runs `taskset` with `args`; false when it is missing or fails. */
export async function taskset(args: readonly string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command("taskset", {
      args: [...args],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Pins every thread of `pid` to `cpu` (taskset); false when taskset is missing or fails. */
export function pin(pid: number, cpu: number): Promise<boolean> {
  return taskset(["-a", "-p", "-c", String(cpu), String(pid)]);
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The value of the `--v8-flags=` of deno.json's `skiff` task, from deno.json's text. */
export function v8FlagsOfConfig(denoJson: string): string {
  const config = JSON.parse(denoJson) as { tasks: Record<string, string> };
  const flag = (config.tasks.skiff ?? "").split(/\s+/).find((a) => a.startsWith("--v8-flags="));
  return flag?.slice("--v8-flags=".length) ?? "";
}

/** The V8 flags the product runs with (deno.json's `skiff` task), "" when it has none. */
export async function productV8Flags(): Promise<string> {
  return v8FlagsOfConfig(await Deno.readTextFile(DENO_JSON));
}

/** The TLS settings to reach the server on 127.0.0.1:`port` as the user of a kubeconfig. */
export function tlsOfKubeconfig(kubeconfig: string, port: number): TlsOptions {
  const kc = parseYaml(kubeconfig) as {
    clusters: { cluster: Record<string, string> }[];
    users: { user: Record<string, string> }[];
  };
  return {
    hostname: "127.0.0.1",
    port,
    caCert: atob(kc.clusters[0]!.cluster["certificate-authority-data"]!),
    cert: atob(kc.users[0]!.user["client-certificate-data"]!),
    key: atob(kc.users[0]!.user["client-key-data"]!),
  };
}

/** Waits for `child` to exit, killing it (SIGKILL) if it has not within `graceMs`. */
export async function awaitExit(child: Deno.ChildProcess, graceMs: number): Promise<void> {
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
  }, graceMs);
  await child.status;
  clearTimeout(timer);
}

/** How to run `skiff server` (`mod.ts server`) for a benchmark. */
export interface SkiffServerOptions {
  readonly dataDir: string;
  readonly port: number;
  /** `--v8-flags=` for the process; "" for none. */
  readonly v8Flags: string;
  /** Components to run without, besides the agent: `["scheduler", "controller-manager"]`. */
  readonly disable?: readonly string[];
  /** What becomes of its stderr (stdin is closed). */
  readonly stderr: "piped" | "inherit";
  /** What becomes of its stdout (V8's `--trace-gc` writes there). @default {"null"} */
  readonly stdout?: "piped" | "null";
  readonly env?: Record<string, string>;
  /** Opens the V8 inspector on 127.0.0.1:`inspectPort` (profiling a phase). */
  readonly inspectPort?: number;
}

/** The arguments of `deno` that run `skiff server` as {@linkcode SkiffServerOptions} say. */
export function skiffServerArgs(options: SkiffServerOptions): string[] {
  return [
    "run",
    "-A",
    ...(options.v8Flags ? [`--v8-flags=${options.v8Flags}`] : []),
    ...(options.inspectPort === undefined ? [] : [`--inspect=127.0.0.1:${options.inspectPort}`]),
    "mod.ts",
    "server",
    "--data-dir",
    options.dataDir,
    "--https-port",
    String(options.port),
    "--disable-agent",
    ...(options.disable ?? []).map((c) => `--disable-${c}`),
    "--log-level",
    "warn",
  ];
}

/** Starts `skiff server` from the repository's root; it logs at level warn. */
export function spawnSkiffServer(options: SkiffServerOptions): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: skiffServerArgs(options),
    cwd: ROOT,
    ...(options.env ? { env: options.env } : {}),
    stdin: "null",
    stdout: options.stdout ?? "null",
    stderr: options.stderr,
  }).spawn();
}

/** How {@linkcode waitForServer} waits. */
export interface WaitOptions {
  /** The port the server listens on, on 127.0.0.1. */
  readonly port: number;
  /** `performance.now()` after which it gives up. */
  readonly deadline: number;
  /** Between two tries, ms. */
  readonly pollMs: number;
  /** True once the server process exited: no use waiting further. */
  readonly exited?: () => boolean;
}

/**
 * Waits until the server wrote its admin kubeconfig (at `kubeconfig`) and answers `/readyz`
 * with 200: its TLS settings then, or what it did not do in time.
 */
export async function waitForServer(
  kubeconfig: string,
  options: WaitOptions,
): Promise<TlsOptions | "no kubeconfig" | "not ready"> {
  const exited = options.exited ?? (() => false);
  const pause = () => new Promise((r) => setTimeout(r, options.pollMs));
  let tls: TlsOptions | null = null;
  while (tls === null && performance.now() < options.deadline) {
    try {
      tls = tlsOfKubeconfig(await Deno.readTextFile(kubeconfig), options.port);
    } catch {
      if (exited()) break;
      await pause();
    }
  }
  if (tls === null) return "no kubeconfig";
  for (;;) {
    try {
      const c = await Http1Connection.connect(tls);
      const res = await c.request("GET", "/readyz");
      c.close();
      if (res.status === 200) return tls;
    } catch {
      // not listening yet
    }
    if (performance.now() > options.deadline || exited()) return "not ready";
    await pause();
  }
}
