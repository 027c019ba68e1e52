/**
 * The cluster DNS address a joined node (`skiff agent`) gives its pods and serves itself: its
 * own `--cluster-dns` when set, else the server's — the clusterIP of the
 * `kube-system/kube-dns` Service the server keeps (a node credential may read Services) — as
 * k3s agents take the server's cluster DNS. When the server keeps no such Service (it runs with
 * `--disable dns`) or cannot be asked, the agent falls back to the 10th address of its
 * `--service-cidr`, as the server derives its default.
 *
 * @module
 */
import { BlockList } from "node:net";
import { CLUSTER_DNS_SERVICE } from "./api/cluster_dns_service.ts";
import type { Client } from "./client/client.ts";
import { isNotFound } from "./client/errors.ts";
import { SERVICES } from "./client/resources.ts";
import type { AgentConfig } from "./config.ts";
import { defaultClusterDnsOf } from "./config.ts";
import type { Logger } from "./util/logger.ts";

/** What {@linkcode agentClusterDns} asks with. */
export interface AgentClusterDnsDeps {
  /** The API, as the node. */
  readonly client: Client;
  readonly logger: Logger;
  /** Aborts the question (shutdown). */
  readonly signal?: AbortSignal;
  /** How long the server gets to answer. @default {10000} */
  readonly timeoutMs?: number;
}

function insideCidr(ip: string, cidr: string): boolean {
  const [network = "", prefix = ""] = cidr.split("/");
  const list = new BlockList();
  list.addSubnet(network, Number(prefix), "ipv4");
  return list.check(ip, "ipv4");
}

/** The agent's cluster DNS address (see the module doc). Never rejects. */
export async function agentClusterDns(
  config: Pick<AgentConfig, "clusterDns" | "serviceCidr">,
  deps: AgentClusterDnsDeps,
): Promise<string> {
  if (config.clusterDns !== null) return config.clusterDns;
  const fallback = defaultClusterDnsOf(config.serviceCidr);
  const timeout = AbortSignal.timeout(deps.timeoutMs ?? 10_000);
  const signal = deps.signal ? AbortSignal.any([deps.signal, timeout]) : timeout;
  const { namespace, name } = CLUSTER_DNS_SERVICE;
  try {
    const service = await deps.client.resource(SERVICES).get(name, { namespace, signal });
    const ip = service.spec?.clusterIP ?? "";
    if (ip === "" || ip === "None") {
      deps.logger.warn("The cluster DNS Service has no clusterIP: using the default", {
        service: `${namespace}/${name}`,
        clusterDns: fallback,
      });
      return fallback;
    }
    if (!insideCidr(ip, config.serviceCidr)) {
      deps.logger.warn(
        "The server's cluster DNS address is outside --service-cidr: set --service-cidr as on the server",
        { clusterDns: ip, serviceCidr: config.serviceCidr },
      );
    }
    deps.logger.info("Using the server's cluster DNS address", { clusterDns: ip });
    return ip;
  } catch (err) {
    if (isNotFound(err)) {
      deps.logger.info("The server keeps no cluster DNS Service: using the default", {
        service: `${namespace}/${name}`,
        clusterDns: fallback,
      });
    } else {
      deps.logger.warn("Cannot read the server's cluster DNS Service: using the default", {
        service: `${namespace}/${name}`,
        clusterDns: fallback,
        error: err,
      });
    }
    return fallback;
  }
}
