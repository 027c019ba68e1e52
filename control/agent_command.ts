/**
 * `skiff agent --server URL --token TOKEN`: joins this machine to a cluster as a node and runs
 * the node agent until SIGINT or SIGTERM (see `agent_join.ts` for how it gets its credential,
 * and `node/agent/agent.ts` for what it runs).
 *
 * @module
 */
import { agentFlagsHelp, type ConfigDeps, ConfigError, loadAgentConfig } from "./config.ts";
import { nodeNetworkToken } from "./api/auth/node_network_identity.ts";
import { Client } from "./client/client.ts";
import { HttpsTransport } from "./client/transport.ts";
import { ensureNodeCredentials, JoinError } from "./agent_join.ts";
import type { Clock } from "./util/clock.ts";
import { JsonLogger } from "./util/logger.ts";
import { type SyncWriter, writeTextSync } from "./util/writer.ts";
import { SKIFF_VERSION } from "./version.ts";
import { runAgent } from "../node/agent/agent.ts";
import type { MallocControl } from "./util/glibc_malloc.ts";
import { agentOptionsFor } from "./server_agent.ts";
import { agentClusterDns } from "./agent_cluster_dns.ts";

/** What `skiff agent` uses from the outside world. */
export interface AgentCommandDeps {
  readonly stdout: SyncWriter;
  readonly stderr: SyncWriter;
  readonly config: ConfigDeps;
  readonly clock: Clock;
  onShutdown(): { readonly signal: AbortSignal } & Disposable;
  /** The C allocator to tune (see `util/glibc_malloc.ts`). @default {none} */
  readonly malloc?: () => (MallocControl & Disposable) | null;
  /** A full V8 collection before each trim (see `util/v8_gc.ts`). @default {none} */
  readonly collectGarbage?: () => (() => void) | null;
}

/** The help of `skiff agent`. */
export function agentUsage(): string {
  return [
    "Usage: skiff agent --server URL --token TOKEN [flags]",
    "",
    "Joins this machine to the cluster as a node and runs the node agent until SIGINT or",
    "SIGTERM: containerd (started and supervised by skiff unless --container-runtime-endpoint),",
    "the images in <data-dir>/agent/images/, node registration, status and heartbeats, and the",
    "node's network (routes to other nodes' pods, the Service proxy, NetworkPolicy, the cluster",
    "DNS on the --cluster-dns address, which is the server's unless set). The join token (skiff",
    "token create on a server) is used once: the node keeps its own credential in",
    "<data-dir>/agent/. --service-cidr, --cluster-cidr and --cluster-domain must be the server's.",
    "",
    "Every flag can also be set as an environment variable (--server → SKIFF_SERVER) or as a key",
    "of the --config YAML file.",
    "",
    "Flags:",
    agentFlagsHelp(),
    "",
  ].join("\n");
}

function print(writer: SyncWriter, text: string): void {
  writeTextSync(writer, text.endsWith("\n") ? text : `${text}\n`);
}

function asClause(message: string): string {
  return /^[A-Z][a-z]/.test(message) ? message[0]!.toLowerCase() + message.slice(1) : message;
}

/** Runs `skiff agent` with `args` (after `agent`); returns the exit code. */
export async function runAgentCommand(
  args: readonly string[],
  deps: AgentCommandDeps,
): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    print(deps.stdout, agentUsage());
    return 0;
  }
  let config;
  try {
    config = await loadAgentConfig(args, deps.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    print(deps.stderr, `skiff agent: ${asClause(err.message)}`);
    print(deps.stderr, `Run "skiff help agent" for the flags and their values.`);
    return 2;
  }
  const logger = new JsonLogger({ level: config.logLevel, writer: deps.stderr, clock: deps.clock });
  // This process is the agent's alone: few malloc arenas, and free pages given back.
  using malloc = deps.malloc ? deps.malloc() : null;
  malloc?.limitArenas(1);
  const collectGarbage = malloc ? deps.collectGarbage?.() : null;
  logger.info("Starting skiff agent", {
    version: SKIFF_VERSION,
    nodeName: config.nodeName,
    server: config.server,
    dataDir: config.dataDir,
  });
  using shutdown = deps.onShutdown();
  let identity;
  try {
    identity = await ensureNodeCredentials({
      server: config.server,
      dataDir: config.dataDir,
      nodeName: config.nodeName,
      joinToken: config.token,
    });
  } catch (err) {
    if (!(err instanceof JoinError)) throw err;
    print(deps.stderr, `skiff agent: ${asClause(err.message)}`);
    return 1;
  }
  using transport = new HttpsTransport({
    server: config.server,
    caCertPem: identity.caCertPem,
    token: identity.token,
    userAgent: `skiff-agent/${SKIFF_VERSION}`,
  });
  const client = new Client(transport, { fieldManager: "skiff-agent" });
  using networkTransport = new HttpsTransport({
    server: config.server,
    caCertPem: identity.caCertPem,
    token: nodeNetworkToken(identity.token),
    userAgent: `skiff-agent/${SKIFF_VERSION}`,
  });
  const networkClient = new Client(networkTransport, { fieldManager: "skiff-agent" });
  const clusterDns = await agentClusterDns(config, { client, logger, signal: shutdown.signal });
  const agent = runAgent(agentOptionsFor({ ...config, clusterDns }, identity.caCertPem), {
    client,
    networkClient,
    clock: deps.clock,
    logger,
    signal: shutdown.signal,
    ...(malloc ? { malloc } : {}),
    ...(collectGarbage ? { collectGarbage } : {}),
  });
  try {
    await agent.finished;
  } catch (err) {
    logger.error("Cannot run skiff agent", { err });
    return 1;
  }
  return 0;
}
