/**
 * {@linkcode hostMtu}: the MTU pods should get — that of the interface carrying the node's
 * default route (a VM or a tunnel often has less than 1500, and a pod interface larger than
 * the way out loses every full-sized packet).
 *
 * @module
 */
import type { CommandRunner } from "../containerd/command_runner.ts";

/** Options of {@linkcode hostMtu}. */
export interface HostMtuOptions {
  /** Runs `ip`. */
  readonly runner: CommandRunner;
  /** When the node has no default route. @default {1500} */
  readonly fallback?: number;
}

/** The MTU of the default route's interface (IPv4), or `options.fallback` without one. */
export async function hostMtu(options: HostMtuOptions): Promise<number> {
  const fallback = options.fallback ?? 1500;
  const routes = await options.runner.run(["ip", "-j", "-4", "route", "show", "default"]);
  if (routes.code !== 0) {
    throw new Error(
      `Cannot read the default route: ${routes.stderr.trim() || `exit code ${routes.code}`}`,
    );
  }
  const parsed = JSON.parse(routes.stdout || "[]") as { dev?: string; mtu?: number }[];
  const route = parsed.find((r) => typeof r.dev === "string");
  if (!route) return fallback;
  if (typeof route.mtu === "number") return route.mtu;
  const link = await options.runner.run(["ip", "-j", "link", "show", "dev", route.dev!]);
  if (link.code !== 0) {
    throw new Error(
      `Cannot read interface "${route.dev}": ${link.stderr.trim() || `exit code ${link.code}`}`,
    );
  }
  const mtu = (JSON.parse(link.stdout) as { mtu?: number }[])[0]?.mtu;
  return typeof mtu === "number" ? mtu : fallback;
}
