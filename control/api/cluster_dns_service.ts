/**
 * The cluster DNS Service the server keeps, `kube-system/kube-dns`, as k3s keeps CoreDNS's:
 * clusterIP `--cluster-dns`, ports `dns` 53/UDP, `dns-tcp` 53/TCP and `metrics` 9153/TCP, the
 * labels of k3s's CoreDNS Service (`k8s-app: kube-dns`, `kubernetes.io/cluster-service: "true"`,
 * `kubernetes.io/name: CoreDNS`) — and no selector: every node serves that address itself
 * (node-local DNS), so the Service exists only to hold the address in the ClusterIP allocator
 * and to show it in `kubectl get services -n kube-system`.
 *
 * {@linkcode reconcileClusterDnsService} runs at every start, after the API serves (with the
 * `kubernetes` Service, see `bootstrap.ts`): it creates the Service when missing, puts back its
 * ports, labels and selector when someone changed them, and replaces it when `--cluster-dns`
 * changed (a clusterIP cannot be changed in place). With DNS disabled (`--disable dns`) it
 * removes the Service skiff made (one with a selector belongs to someone else's DNS and stays).
 * It never fails the start: an address another Service already holds is logged as an error.
 *
 * @module
 */
import type { Logger } from "../util/logger.ts";
import type { InProcessClient } from "./in_process_client.ts";
import type { Service, ServicePort } from "./types/core_v1_service.ts";

/** Where the cluster DNS Service lives. */
export const CLUSTER_DNS_SERVICE = Object.freeze({ namespace: "kube-system", name: "kube-dns" });

/** The labels of the cluster DNS Service (k3s's CoreDNS Service's). */
export const CLUSTER_DNS_SERVICE_LABELS: Readonly<Record<string, string>> = Object.freeze({
  "k8s-app": "kube-dns",
  "kubernetes.io/cluster-service": "true",
  "kubernetes.io/name": "CoreDNS",
});

const PORTS: readonly ServicePort[] = Object.freeze([
  { name: "dns", port: 53, protocol: "UDP" },
  { name: "dns-tcp", port: 53, protocol: "TCP" },
  { name: "metrics", port: 9153, protocol: "TCP" },
]);

const PATH =
  `/api/v1/namespaces/${CLUSTER_DNS_SERVICE.namespace}/services/${CLUSTER_DNS_SERVICE.name}`;

/** The cluster DNS Service on `clusterDns`, as it is created. */
export function clusterDnsService(clusterDns: string): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: CLUSTER_DNS_SERVICE.name,
      namespace: CLUSTER_DNS_SERVICE.namespace,
      labels: { ...CLUSTER_DNS_SERVICE_LABELS },
    },
    spec: {
      type: "ClusterIP",
      clusterIP: clusterDns,
      clusterIPs: [clusterDns],
      ports: PORTS.map((p) => ({ ...p, targetPort: p.port })),
    },
  };
}

/** What {@linkcode reconcileClusterDnsService} did. */
export type ClusterDnsOutcome =
  | "created"
  | "updated"
  | "replaced"
  | "unchanged"
  | "deleted"
  | "absent"
  | "failed";

/** Options of {@linkcode reconcileClusterDnsService}. */
export interface ClusterDnsServiceOptions {
  /** The cluster DNS address; `null`: DNS is disabled, the Service is removed. */
  readonly clusterDns: string | null;
  readonly logger: Logger;
}

function portsMatch(service: Service): boolean {
  const ports = service.spec?.ports ?? [];
  return ports.length === PORTS.length &&
    PORTS.every((want, i) => {
      const got = ports[i];
      return got !== undefined && got.name === want.name && got.port === want.port &&
        got.protocol === want.protocol;
    });
}

function labelsMatch(service: Service): boolean {
  const labels = service.metadata?.labels ?? {};
  return Object.entries(CLUSTER_DNS_SERVICE_LABELS).every(([k, v]) => labels[k] === v);
}

function hasSelector(service: Service): boolean {
  return Object.keys(service.spec?.selector ?? {}).length > 0;
}

function message(res: { status: number; body: Record<string, unknown> }): string {
  return `${res.status} ${String(res.body.message ?? "")}`;
}

async function create(
  client: InProcessClient,
  clusterDns: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return await client.json(
    "POST",
    `/api/v1/namespaces/${CLUSTER_DNS_SERVICE.namespace}/services`,
    { body: clusterDnsService(clusterDns) },
  );
}

async function remove(client: InProcessClient, current: Service) {
  const uid = current.metadata?.uid;
  return await client.json("DELETE", PATH, {
    body: { apiVersion: "v1", kind: "DeleteOptions", ...(uid ? { preconditions: { uid } } : {}) },
  });
}

/** Keeps the cluster DNS Service as `options` want it (see the module doc). Never throws. */
export async function reconcileClusterDnsService(
  client: InProcessClient,
  options: ClusterDnsServiceOptions,
): Promise<ClusterDnsOutcome> {
  const { clusterDns, logger } = options;
  const service = `${CLUSTER_DNS_SERVICE.namespace}/${CLUSTER_DNS_SERVICE.name}`;
  const fail = (msg: string, fields: Record<string, unknown>): ClusterDnsOutcome => {
    logger.error(msg, { service, ...fields });
    return "failed";
  };
  try {
    const got = await client.json("GET", PATH);
    if (got.status !== 200 && got.status !== 404) {
      return fail("Cannot read the cluster DNS Service", { error: message(got) });
    }
    const current = got.status === 200 ? got.body as Service : null;
    if (clusterDns === null) {
      if (current === null) return "absent";
      if (hasSelector(current)) return "unchanged";
      const del = await remove(client, current);
      if (del.status !== 200 && del.status !== 202 && del.status !== 404) {
        return fail("Cannot delete the cluster DNS Service", { error: message(del) });
      }
      logger.info("Deleted the cluster DNS Service: DNS is disabled", { service });
      return "deleted";
    }
    if (current === null) {
      const res = await create(client, clusterDns);
      if (res.status !== 201 && res.status !== 409) {
        return fail("Cannot create the cluster DNS Service", { clusterDns, error: message(res) });
      }
      logger.debug("Created the cluster DNS Service", { service, clusterDns });
      return "created";
    }
    if (current.spec?.clusterIP !== clusterDns) {
      // The clusterIP cannot change in place: the Service goes and comes back on the new one.
      const del = await remove(client, current);
      if (del.status !== 200 && del.status !== 202 && del.status !== 404) {
        return fail("Cannot delete the cluster DNS Service", { error: message(del) });
      }
      const res = await create(client, clusterDns);
      if (res.status !== 201) {
        return fail("Cannot create the cluster DNS Service", { clusterDns, error: message(res) });
      }
      logger.info("Moved the cluster DNS Service to a new address", {
        service,
        from: current.spec?.clusterIP,
        clusterDns,
      });
      return "replaced";
    }
    if (portsMatch(current) && labelsMatch(current) && !hasSelector(current)) return "unchanged";
    const desired = clusterDnsService(clusterDns);
    const { selector: _selector, ...spec } = current.spec ?? {};
    const body: Service = {
      ...current,
      metadata: {
        ...current.metadata,
        labels: { ...current.metadata?.labels, ...desired.metadata?.labels },
      },
      spec: { ...spec, ports: desired.spec?.ports ?? [] },
    };
    const put = await client.json("PUT", PATH, { body });
    if (put.status !== 200) {
      return fail("Cannot update the cluster DNS Service", { error: message(put) });
    }
    logger.info("Restored the cluster DNS Service's ports, labels and selector", { service });
    return "updated";
  } catch (err) {
    return fail("Cannot keep the cluster DNS Service", { error: err });
  }
}
