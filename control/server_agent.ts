/**
 * The node agent inside `skiff server` (unless `--disable-agent`): the same agent `skiff agent`
 * runs, talking to this process's API in process as `system:node:<node-name>`, so the Node
 * authorizer and NodeRestriction hold it to what a joined node may do. Only the server may mark
 * its node a control-plane node (NodeRestriction refuses the `node-role.kubernetes.io/*` labels
 * from a node's own credential, as upstream does): once the node is registered, the server
 * labels it `node-role.kubernetes.io/control-plane: "true"` as an administrator.
 *
 * @module
 */
import type { ApiServer } from "./api/api_server.ts";
import { nodeNetworkUser } from "./api/auth/node_network_identity.ts";
import { InProcessClient } from "./api/in_process_client.ts";
import { Client } from "./client/client.ts";
import { NODES } from "./client/resources.ts";
import type { AgentConfig, ServerConfig } from "./config.ts";
import type { Clock, Logger } from "./util/mod.ts";
import { KUBERNETES_VERSION } from "./version.ts";
import { type AgentOptions, runAgent, type RunningAgent } from "../node/agent/agent.ts";
import { CONTROL_PLANE_LABEL } from "../node/status/node_status_manager.ts";

/** What {@linkcode startServerAgent} needs. */
export interface ServerAgentDeps {
  readonly config: ServerConfig;
  /** The cluster CA (PEM). */
  readonly clusterCaPem: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/**
 * How containerd runs skiff as a CNI plugin: a compiled skiff is its own plugin; from a checkout
 * (`deno run mod.ts …`) the plugin is `deno run -A cni/_main.ts`, which loads only the plugin.
 */
export function cniPluginEntry(): { executable: string; moduleUrl?: string } {
  const executable = Deno.execPath();
  const entry = new URL("../cni/_main.ts", import.meta.url);
  const viaDeno = /(?:^|\/)deno$/.test(executable) && entry.protocol === "file:";
  return viaDeno ? { executable, moduleUrl: entry.href } : { executable };
}

/**
 * The settings `skiff server` and `skiff agent` both take for the node agent (the agent's
 * `clusterDns` resolved first: see `agent_command.ts`).
 */
export type NodeAgentSettings =
  & Pick<
    ServerConfig & AgentConfig,
    | "nodeName"
    | "dataDir"
    | "clusterCidr"
    | "serviceCidr"
    | "clusterDomain"
    | "kubeletPort"
    | "containerRuntimeEndpoint"
    | "nodeIPs"
    | "flannelBackend"
    | "disableKubeProxy"
    | "disableNetworkPolicy"
    | "disableDns"
  >
  & { readonly clusterDns: string };

/** The agent's options from a command's settings and the cluster CA it trusts. */
export function agentOptionsFor(config: NodeAgentSettings, clusterCaPem: string): AgentOptions {
  return {
    nodeName: config.nodeName,
    dataDir: config.dataDir,
    kubeletVersion: KUBERNETES_VERSION.gitVersion,
    clusterCidr: config.clusterCidr,
    serviceCidr: config.serviceCidr,
    cniPlugin: cniPluginEntry(),
    clusterCaPem,
    clusterDns: [config.clusterDns],
    clusterDomain: config.clusterDomain,
    kubeletPort: config.kubeletPort,
    flannelBackend: config.flannelBackend,
    disableKubeProxy: config.disableKubeProxy,
    disableNetworkPolicy: config.disableNetworkPolicy,
    disableDns: config.disableDns,
    ...(config.containerRuntimeEndpoint
      ? { containerRuntimeEndpoint: config.containerRuntimeEndpoint }
      : {}),
    ...(config.nodeIPs.length > 0 ? { nodeIPs: config.nodeIPs } : {}),
  };
}

/** The identity the server's own agent acts as. */
export function nodeUser(nodeName: string): { username: string; groups: string[] } {
  return {
    username: `system:node:${nodeName}`,
    groups: ["system:nodes", "system:authenticated"],
  };
}

/**
 * Starts the agent of the server's node on `api`. Its `ready` resolves once the node is
 * registered and labelled a control-plane node.
 */
export function startServerAgent(api: ApiServer, deps: ServerAgentDeps): RunningAgent {
  const config = deps.config;
  const logger = deps.logger.with({ component: "server-agent" });
  const client = new Client(new InProcessClient(api.app, nodeUser(config.nodeName)), {
    fieldManager: "skiff-agent",
  });
  const networkClient = new Client(
    new InProcessClient(api.app, nodeNetworkUser(config.nodeName)),
    { fieldManager: "skiff-agent" },
  );
  const agent = runAgent(
    agentOptionsFor(config, deps.clusterCaPem),
    { client, networkClient, clock: deps.clock, logger: deps.logger, signal: deps.signal },
  );
  const admin = new Client(
    new InProcessClient(api.app, { username: "system:skiff-server", groups: ["system:masters"] }),
    { fieldManager: "skiff-server" },
  );
  const ready = agent.ready.then(async () => {
    await admin.resource(NODES).patch(config.nodeName, {
      type: "merge",
      body: { metadata: { labels: { [CONTROL_PLANE_LABEL]: "true" } } },
    });
    logger.info("Labelled the server's node", {
      node: config.nodeName,
      label: CONTROL_PLANE_LABEL,
    });
  });
  ready.catch(() => {});
  return { ...agent, ready };
}
