/**
 * Starting and stopping the benchmarks' child processes (a `skiff server`, a host of
 * controllers or the scheduler): a free port, skiff's V8 flags, CPU pinning, the admin
 * kubeconfig's TLS settings, and a stop that kills what does not exit in time.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import type { TlsOptions } from "./_http1_client.ts";

const DENO_JSON = new URL("../../deno.json", import.meta.url).pathname;

/** Pins every thread of `pid` to `cpu` (taskset); false when taskset is missing or fails. */
export async function pin(pid: number, cpu: number): Promise<boolean> {
  try {
    const out = await new Deno.Command("taskset", {
      args: ["-a", "-p", "-c", String(cpu), String(pid)],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
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
