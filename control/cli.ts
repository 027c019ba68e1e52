/**
 * The `skiff` command line: multi-call dispatch over the commands built so far. `mod.ts` only
 * calls {@linkcode main}; everything it touches comes in through {@linkcode CliDeps}, so it runs
 * in tests without spawning a process.
 *
 * Exit codes: 0 success, 1 a command failed while running, 2 a usage error (unknown command,
 * bad flag, bad config value).
 *
 * @module
 */
import {
  type ConfigDeps,
  ConfigError,
  loadServerConfig,
  serverFlagsHelp,
  systemConfigDeps,
} from "./config.ts";
import { type Clock, systemClock } from "./util/clock.ts";
import { JsonLogger } from "./util/logger.ts";
import { type SyncWriter, writeTextSync } from "./util/writer.ts";
import { versionInfo } from "./version.ts";

/** A shutdown request: `signal` aborts on SIGINT or SIGTERM until disposed. */
export interface ShutdownSignal extends Disposable {
  readonly signal: AbortSignal;
}

/** What {@linkcode main} needs from the outside world. */
export interface CliDeps {
  readonly stdout: SyncWriter;
  /** Receives error messages and the server's JSON log lines. */
  readonly stderr: SyncWriter;
  readonly config: ConfigDeps;
  readonly clock: Clock;
  /** Starts listening for the signals that stop a long-running command. */
  onShutdown(): ShutdownSignal;
}

/** The commands {@linkcode main} dispatches; DESIGN.md's others arrive with their issues. */
export const COMMANDS = [
  "server",
  "agent",
  "kubeconfig",
  "token",
  "secrets-encrypt",
  "version",
  "help",
] as const;

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

function usage(): string {
  return [
    "Usage: skiff <command> [flags]",
    "",
    "skiff is a Kubernetes distribution for edge devices.",
    "",
    "Commands:",
    "  server      run the control plane: storage, the Kubernetes API server, the scheduler,",
    "              the controllers, and this machine's node agent",
    "  agent       join this machine to a cluster as a node: --server URL --token TOKEN",
    "  kubeconfig  print the admin kubeconfig of the server using --data-dir",
    "  token       create|list|delete: the join tokens agents use to join the cluster",
    "  secrets-encrypt",
    "              status|rotate-keys: the keys encrypting Secrets at rest",
    "  version     print the versions of skiff, the Kubernetes API it serves and Deno",
    "  help        print this help, or a command's: skiff help server",
    "",
  ].join("\n");
}

function serverUsage(): string {
  return [
    "Usage: skiff server [flags]",
    "",
    "Runs the control plane until SIGINT or SIGTERM: storage, the Kubernetes API server on HTTPS",
    "(the admin kubeconfig is written to <data-dir>/kubeconfig.yaml), the scheduler, which binds",
    "pods to nodes while it holds the kube-system/kube-scheduler lease, and the controllers",
    "(Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, garbage collector, Namespace,",
    "EndpointSlice, Endpoints, disruption, pod GC, node lifecycle, taint eviction) while they hold",
    "kube-system/kube-controller-manager, and the node agent of this machine (containerd, pods)",
    "unless --disable-agent. The ServiceLB controller gives LoadBalancer Services the addresses",
    "of the nodes that serve them (unless --disable servicelb); every node serves the cluster DNS",
    "itself on the kube-system/kube-dns Service address, --cluster-dns (unless --disable dns).",
    "",
    "Every flag can also be set as an environment variable (--https-port → SKIFF_HTTPS_PORT) or as",
    "a key of the --config YAML file (https-port: 6443). Flags win over the environment, which",
    "wins over the file.",
    "",
    "Flags:",
    serverFlagsHelp(),
    "",
  ].join("\n");
}

/** Lowercases a message's first letter to follow a `skiff <command>:` prefix. */
function asClause(message: string): string {
  return /^[A-Z][a-z]/.test(message) ? message[0]!.toLowerCase() + message.slice(1) : message;
}

function print(writer: SyncWriter, text: string): void {
  writeTextSync(writer, text.endsWith("\n") ? text : `${text}\n`);
}

function runVersion(args: readonly string[], deps: CliDeps): number {
  if (args.length > 0) {
    print(deps.stderr, `skiff version: unexpected argument ${JSON.stringify(args[0])}`);
    return EXIT_USAGE;
  }
  const info = versionInfo();
  print(
    deps.stdout,
    `skiff v${info.skiff}\nkubernetes ${info.kubernetes.gitVersion}\ndeno ${info.deno}`,
  );
  return EXIT_OK;
}

async function runHelp(args: readonly string[], deps: CliDeps): Promise<number> {
  const [topic, ...rest] = args;
  if (topic === undefined) {
    print(deps.stdout, usage());
    return EXIT_OK;
  }
  if (rest.length > 0) {
    print(deps.stderr, `skiff help: unexpected argument ${JSON.stringify(rest[0])}`);
    return EXIT_USAGE;
  }
  if (topic === "server") {
    print(deps.stdout, serverUsage());
    return EXIT_OK;
  }
  if (topic === "agent") {
    const { agentUsage } = await import("./agent_command.ts");
    print(deps.stdout, agentUsage());
    return EXIT_OK;
  }
  if (topic === "token" || topic === "secrets-encrypt") return await main([topic, "--help"], deps);
  if (topic === "version" || topic === "help") {
    print(deps.stdout, usage());
    return EXIT_OK;
  }
  return unknownCommand(topic, deps);
}

function unknownCommand(command: string, deps: CliDeps): number {
  print(
    deps.stderr,
    `skiff: unknown command ${JSON.stringify(command)}: expected one of ${
      COMMANDS.join(", ")
    }\n\n` +
      usage(),
  );
  return EXIT_USAGE;
}

async function runKubeconfig(args: readonly string[], deps: CliDeps): Promise<number> {
  let config;
  try {
    config = await loadServerConfig(args, deps.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    print(deps.stderr, `skiff kubeconfig: ${asClause(err.message)}`);
    return EXIT_USAGE;
  }
  const path = `${config.dataDir}/kubeconfig.yaml`;
  let text: string;
  try {
    text = await deps.config.readTextFile(path);
  } catch {
    print(
      deps.stderr,
      `skiff kubeconfig: cannot read "${path}": start "skiff server --data-dir ${config.dataDir}" first`,
    );
    return EXIT_FAILURE;
  }
  writeTextSync(deps.stdout, text);
  return EXIT_OK;
}

async function runServerCommand(args: readonly string[], deps: CliDeps): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    print(deps.stdout, serverUsage());
    return EXIT_OK;
  }
  let config;
  try {
    config = await loadServerConfig(args, deps.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    print(deps.stderr, `skiff server: ${asClause(err.message)}`);
    print(deps.stderr, `Run "skiff help server" for the flags and their values.`);
    return EXIT_USAGE;
  }
  const logger = new JsonLogger({ level: config.logLevel, writer: deps.stderr, clock: deps.clock });
  using shutdown = deps.onShutdown();
  const { runServer } = await import("./server.ts");
  const server = runServer(config, { logger, clock: deps.clock, signal: shutdown.signal });
  try {
    await server.finished;
  } catch (err) {
    logger.error("Cannot run skiff server", { err });
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

/**
 * Runs the `skiff` command line with `args` (without the program name) and returns the exit
 * code.
 *
 * @example Print the versions into a buffer
 * ```ts
 * import assert from "node:assert/strict";
 * import { main, systemCliDeps } from "./cli.ts";
 * import { BufferWriter } from "./util/mod.ts";
 *
 * const stdout = new BufferWriter();
 * const code = await main(["version"], { ...systemCliDeps(), stdout });
 * assert.equal(code, 0);
 * assert.match(stdout.text(), /^skiff v/);
 * ```
 */
export async function main(args: readonly string[], deps: CliDeps): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "server":
      return await runServerCommand(rest, deps);
    case "agent": {
      const { runAgentCommand } = await import("./agent_command.ts");
      const { openGlibcMalloc } = await import("./util/glibc_malloc.ts");
      const { v8FullGc } = await import("./util/v8_gc.ts");
      return await runAgentCommand(rest, {
        ...deps,
        malloc: openGlibcMalloc,
        collectGarbage: v8FullGc,
      });
    }
    case "kubeconfig":
      return await runKubeconfig(rest, deps);
    case "token": {
      const { runTokenCommand } = await import("./token_command.ts");
      return await runTokenCommand(rest, {
        stdout: deps.stdout,
        stderr: deps.stderr,
        config: deps.config,
        clock: deps.clock,
      });
    }
    case "secrets-encrypt": {
      const { runSecretsEncryptCommand } = await import("./secrets_encrypt_command.ts");
      return await runSecretsEncryptCommand(rest, {
        stdout: deps.stdout,
        stderr: deps.stderr,
        config: deps.config,
      });
    }
    case "version":
    case "--version":
      return runVersion(rest, deps);
    case "help":
      return await runHelp(rest, deps);
    case "--help":
    case "-h":
      return await runHelp([], deps);
    case undefined:
      print(deps.stderr, usage());
      return EXIT_USAGE;
    default:
      return unknownCommand(command, deps);
  }
}

/**
 * Listens for SIGINT and SIGTERM: the first one aborts the returned signal. Disposing it removes
 * the listeners.
 */
export function listenForShutdown(): ShutdownSignal {
  const controller = new AbortController();
  const listeners = (["SIGINT", "SIGTERM"] as const).map((name) => {
    const listener = () => controller.abort(new Error(`Received ${name}`));
    Deno.addSignalListener(name, listener);
    return { name, listener };
  });
  return {
    signal: controller.signal,
    [Symbol.dispose]() {
      for (const { name, listener } of listeners) Deno.removeSignalListener(name, listener);
    },
  };
}

/** The real outside world: `Deno.stdout`, `Deno.stderr`, the environment and process signals. */
export function systemCliDeps(): CliDeps {
  return {
    stdout: Deno.stdout,
    stderr: Deno.stderr,
    config: systemConfigDeps(),
    clock: systemClock,
    onShutdown: listenForShutdown,
  };
}
