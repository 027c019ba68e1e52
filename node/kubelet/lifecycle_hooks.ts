/**
 * {@linkcode runLifecycleHook}: runs a container's postStart or preStop handler as the kubelet's
 * handler runner: `exec` through CRI ExecSync, `httpGet` to the pod's IP (or the handler's host),
 * `sleep` for its seconds. It answers the kubelet's failure message (`Exec lifecycle hook
 * ([sh -c exit 1]) for Container "app" in Pod "web_default(uid)" failed - error: …`) or
 * `undefined` on success.
 *
 * @module
 */
import type { Container, LifecycleHandler, Pod } from "../../control/api/types/core_v1_pod.ts";
import type { Clock } from "../../control/util/clock.ts";
import { httpProbeUrl } from "../probes/http_probe.ts";
import type { PodRuntimeService } from "./runtime_service.ts";

/** `name_namespace(uid)`, the kubelet's `format.Pod`. */
export function formatPod(pod: Pod): string {
  const m = pod.metadata ?? {};
  return `${m.name ?? ""}_${m.namespace ?? ""}(${m.uid ?? ""})`;
}

/** What {@linkcode runLifecycleHook} needs. */
export interface LifecycleHookContext {
  readonly pod: Pod;
  readonly container: Container;
  /** The runtime's (bare) container ID. */
  readonly containerId: string;
  readonly runtime: Pick<PodRuntimeService, "execSync">;
  readonly clock: Clock;
  /** The pod's IP, the default host of httpGet handlers. */
  readonly podIp: string;
  /** The longest a handler may run, in seconds (0: no limit). */
  readonly timeoutSeconds: number;
  /** Sends httpGet requests. @default {globalThis.fetch} */
  readonly fetch?: typeof fetch;
  /** Ends a sleep early (the pod is being force-deleted). */
  readonly signal?: AbortSignal;
}

function goList(items: readonly string[]): string {
  return `[${items.join(" ")}]`;
}

function resolvePort(port: number | string, container: Container): number | undefined {
  if (typeof port === "number") return port;
  const named = (container.ports ?? []).find((p) => p.name === port);
  if (named) return named.containerPort;
  return /^\d+$/.test(port) ? Number(port) : undefined;
}

/** Runs `handler`; answers the kubelet's failure message, or undefined when it succeeded. */
export async function runLifecycleHook(
  handler: LifecycleHandler,
  ctx: LifecycleHookContext,
): Promise<string | undefined> {
  const { container, pod } = ctx;
  const who = `for Container ${JSON.stringify(container.name)} in Pod ${
    JSON.stringify(formatPod(pod))
  }`;
  if (handler.exec) {
    const command = handler.exec.command ?? [];
    let output = "";
    let error: string | undefined;
    try {
      const answer = await ctx.runtime.execSync({
        containerId: ctx.containerId,
        cmd: command,
        timeout: ctx.timeoutSeconds,
      });
      const decoder = new TextDecoder();
      output = decoder.decode(answer.stdout) + decoder.decode(answer.stderr);
      if (answer.exitCode !== 0) {
        error = `command '${command.join(" ")}' exited with ${answer.exitCode}: ${output}`;
      }
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    if (error === undefined) return undefined;
    return `Exec lifecycle hook (${goList(command)}) ${who} failed - error: ${error}, message: ${
      JSON.stringify(output)
    }`;
  }
  if (handler.httpGet) {
    const get = handler.httpGet;
    const path = get.path ?? "";
    const port = resolvePort(get.port, container);
    const fail = (error: string) => `HTTP lifecycle hook (${path}) ${who} failed - error: ${error}`;
    if (port === undefined) return fail(`unable to find port ${JSON.stringify(String(get.port))}`);
    const url = httpProbeUrl({
      scheme: get.scheme ?? "HTTP",
      host: get.host || ctx.podIp,
      port,
      path,
    });
    const controller = new AbortController();
    const timer = ctx.timeoutSeconds > 0
      ? ctx.clock.setTimeout(() => controller.abort(), ctx.timeoutSeconds * 1000)
      : undefined;
    try {
      const headers = new Headers();
      for (const h of get.httpHeaders ?? []) headers.append(h.name, h.value);
      const response = await (ctx.fetch ?? fetch)(url, { headers, signal: controller.signal });
      await response.body?.cancel();
      if (response.status < 200 || response.status >= 400) {
        return fail(`HTTP lifecycle hook failed with status code ${response.status}`);
      }
      return undefined;
    } catch (err) {
      return fail(err instanceof Error ? err.message : String(err));
    } finally {
      timer?.cancel();
    }
  }
  if (handler.sleep) {
    const ms = Number(handler.sleep.seconds ?? 0) * 1000;
    try {
      await ctx.clock.sleep(ms, ctx.signal);
    } catch {
      // cut short: the pod is being killed
    }
    return undefined;
  }
  return `Cannot run handler ${who}: it sets no action`;
}
