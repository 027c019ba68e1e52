/**
 * {@linkcode cniMain}: one CNI call, as the runtime makes it — the command from `CNI_COMMAND`,
 * the network config on stdin, the result (or the CNI error JSON) on stdout and the exit code.
 * `mod.ts` calls it when `CNI_COMMAND` is set, before the command line.
 *
 * @example Answer VERSION
 * ```ts
 * import assert from "node:assert/strict";
 * import { cniMain } from "./cni_main.ts";
 *
 * let out = "";
 * const code = await cniMain({
 *   env: (name) => name === "CNI_COMMAND" ? "VERSION" : undefined,
 *   stdin: () => Promise.resolve(""),
 *   stdout: (text) => void (out += text),
 *   runner: { run: () => Promise.reject(new Error("no commands")) },
 * });
 * assert.equal(code, 0);
 * assert.equal(JSON.parse(out).cniVersion, "1.0.0");
 * ```
 *
 * @module
 */
import { BridgePlugin, type BridgePluginDeps } from "./bridge_plugin.ts";
import { type CniCommandRunner, DenoCniCommandRunner } from "./command_runner.ts";
import { CNI_ERROR_CODES, CniError, toCniError } from "./errors.ts";
import { parseCniEnv, parseNetConf, sniffCniVersion, SUPPORTED_CNI_VERSIONS } from "./net_conf.ts";

/** The version the plugin's own answers carry. */
export const PLUGIN_CNI_VERSION = "1.0.0";

/** What {@linkcode cniMain} works with. */
export interface CniMainDeps {
  /** Reads an environment variable. */
  readonly env: (name: string) => string | undefined;
  /** The whole of stdin. */
  readonly stdin: () => Promise<string>;
  /** Writes to stdout. */
  readonly stdout: (text: string) => Promise<void> | void;
  readonly runner: CniCommandRunner;
  /** Overrides for the plugin (sysctl, IP store, netns check). */
  readonly plugin?: Omit<BridgePluginDeps, "runner">;
}

/** Runs one CNI call; returns the exit code (0, or 1 with the error JSON on stdout). */
export async function cniMain(deps: CniMainDeps): Promise<number> {
  let input = "";
  let cniVersion = PLUGIN_CNI_VERSION;
  try {
    if (deps.env("CNI_COMMAND") !== "VERSION") {
      input = await deps.stdin();
      cniVersion = sniffCniVersion(input) ?? cniVersion;
    }
    const env = parseCniEnv(deps.env);
    if (env.command === "VERSION") {
      await deps.stdout(
        JSON.stringify({
          cniVersion: PLUGIN_CNI_VERSION,
          supportedVersions: SUPPORTED_CNI_VERSIONS,
        }) + "\n",
      );
      return 0;
    }
    if (env.command !== "ADD" && env.command !== "DEL" && env.command !== "CHECK") {
      throw new CniError(
        CNI_ERROR_CODES.invalidEnvironment,
        `Unknown CNI_COMMAND "${env.command}"`,
      );
    }
    const conf = parseNetConf(input);
    const plugin = new BridgePlugin({ ...deps.plugin, runner: deps.runner });
    if (env.command === "ADD") {
      await deps.stdout(JSON.stringify(await plugin.add(conf, env)) + "\n");
    } else if (env.command === "DEL") {
      await plugin.del(conf, env);
    } else {
      await plugin.check(conf, env);
    }
    return 0;
  } catch (err) {
    await deps.stdout(JSON.stringify(toCniError(err).toJson(cniVersion)) + "\n");
    return 1;
  }
}

/** The real environment, stdin, stdout and commands of this process. */
export function systemCniDeps(): CniMainDeps {
  const path = Deno.env.get("PATH");
  return {
    env: (name) => Deno.env.get(name),
    stdin: async () => await new Response(Deno.stdin.readable).text(),
    stdout: async (text) => {
      const bytes = new TextEncoder().encode(text);
      let off = 0;
      while (off < bytes.length) off += await Deno.stdout.write(bytes.subarray(off));
    },
    runner: new DenoCniCommandRunner(path === undefined ? {} : { path }),
  };
}
