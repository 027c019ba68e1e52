/**
 * What a fresh cluster has before anyone asks, as kube-apiserver's bootstrap controllers
 * create it: the system namespaces (`default`, `kube-system`, `kube-public`,
 * `kube-node-lease`), the `default/kubernetes` Service on the first service address with its
 * Endpoints and EndpointSlice pointing at this server, and the `system-cluster-critical` /
 * `system-node-critical` PriorityClasses, and the `kube-system/kube-dns` Service on the cluster
 * DNS address (`cluster_dns_service.ts`). Idempotent: it creates what is missing and corrects
 * the endpoints when the server's address changed.
 *
 * @module
 */
import type { Logger } from "../util/logger.ts";
import { SYSTEM_NAMESPACES } from "./admission/namespace_lifecycle.ts";
import { firstServiceIp } from "./admission/service_allocator.ts";
import { reconcileClusterDnsService } from "./cluster_dns_service.ts";
import type { InProcessClient } from "./in_process_client.ts";

/** Options of {@linkcode bootstrapCluster}. */
export interface BootstrapOptions {
  readonly client: InProcessClient;
  readonly logger: Logger;
  readonly serviceCidr: string;
  /** The address other nodes and pods reach this server at. */
  readonly advertiseAddress: string;
  /** The port the API server listens on. */
  readonly port: number;
  /**
   * `--cluster-dns`, the address of the `kube-system/kube-dns` Service; `null`: DNS is
   * disabled (`--disable dns`) and a kube-dns Service skiff made is removed; unset: the
   * kube-dns Service is left as it is.
   */
  readonly clusterDns?: string | null;
}

async function ensure(
  client: InProcessClient,
  options: { collection: string; name: string; body: Record<string, unknown> },
): Promise<void> {
  const existing = await client.json("GET", `${options.collection}/${options.name}`);
  if (existing.status === 200) return;
  const res = await client.json("POST", options.collection, { body: options.body });
  if (res.status === 201 || res.status === 409) return;
  throw new Error(
    `Cannot create ${options.collection}/${options.name}: ${res.status} ${
      String(res.body.message)
    }`,
  );
}

/** Makes sure what a cluster starts with exists. */
export async function bootstrapCluster(options: BootstrapOptions): Promise<void> {
  const { client } = options;
  for (const name of SYSTEM_NAMESPACES) {
    await ensure(client, {
      collection: "/api/v1/namespaces",
      name,
      body: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
    });
  }
  for (
    const [name, value] of [["system-node-critical", 2000001000], [
      "system-cluster-critical",
      2000000000,
    ]] as const
  ) {
    await ensure(client, {
      collection: "/apis/scheduling.k8s.io/v1/priorityclasses",
      name,
      body: {
        apiVersion: "scheduling.k8s.io/v1",
        kind: "PriorityClass",
        metadata: { name },
        value,
        description: `Used for system critical pods that must ${
          name === "system-node-critical"
            ? "not be moved from their current node"
            : "run in the cluster, but can be moved to another node if necessary"
        }.`,
      },
    });
  }
  await ensure(client, {
    collection: "/api/v1/namespaces/default/services",
    name: "kubernetes",
    body: {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "kubernetes",
        namespace: "default",
        labels: { component: "apiserver", provider: "kubernetes" },
      },
      spec: {
        type: "ClusterIP",
        clusterIP: firstServiceIp(options.serviceCidr),
        sessionAffinity: "None",
        ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: options.port }],
      },
    },
  });
  const endpoints = {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: {
      name: "kubernetes",
      namespace: "default",
      labels: { "endpointslice.kubernetes.io/skip-mirror": "true" },
    },
    subsets: [{
      addresses: [{ ip: options.advertiseAddress }],
      ports: [{ name: "https", port: options.port, protocol: "TCP" }],
    }],
  };
  const slice = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: "kubernetes",
      namespace: "default",
      labels: { "kubernetes.io/service-name": "kubernetes" },
    },
    addressType: "IPv4",
    endpoints: [{ addresses: [options.advertiseAddress], conditions: { ready: true } }],
    ports: [{ name: "https", port: options.port, protocol: "TCP" }],
  };
  // Endpoints may not point at loopback (upstream validation): a machine with no other
  // address gets a Service without endpoints, as kube-apiserver with such an address would.
  const loopback = options.advertiseAddress.startsWith("127.") ||
    options.advertiseAddress === "::1";
  if (loopback) {
    options.logger.warn(
      "Not publishing the kubernetes Service's endpoints: no non-loopback address",
      {
        advertiseAddress: options.advertiseAddress,
      },
    );
  }
  for (
    const [path, body] of loopback ? [] : [
      ["/api/v1/namespaces/default/endpoints/kubernetes", endpoints],
      ["/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes", slice],
    ] as const
  ) {
    const current = await client.json("GET", path);
    if (current.status === 404) {
      await ensure(client, {
        collection: path.slice(0, path.lastIndexOf("/")),
        name: "kubernetes",
        body,
      });
      continue;
    }
    const rv = (current.body.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
    const res = await client.json("PUT", path, {
      body: { ...body, metadata: { ...body.metadata, resourceVersion: rv } },
    });
    if (res.status !== 200) {
      throw new Error(`Cannot update ${path}: ${res.status} ${String(res.body.message)}`);
    }
  }
  if (options.clusterDns !== undefined) {
    await reconcileClusterDnsService(client, {
      clusterDns: options.clusterDns,
      logger: options.logger,
    });
  }
  options.logger.info("Bootstrapped cluster objects", {
    namespaces: SYSTEM_NAMESPACES,
    kubernetesService: firstServiceIp(options.serviceCidr),
    ...(options.clusterDns ? { clusterDnsService: options.clusterDns } : {}),
  });
}
