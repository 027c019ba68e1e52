/**
 * The kubelet API as the agent runs it, in one call: {@linkcode startKubeletApi} puts the
 * pod workers and the CRI client behind {@linkcode KubeletHandler}, authenticates with the
 * cluster CA and TokenReviews and authorizes with SubjectAccessReviews through the agent's
 * API client, and serves it over HTTPS with the node's serving certificate.
 *
 * @example In the agent, once the node is registered
 * ```ts ignore
 * const kubeletApi = await startKubeletApi({
 *   nodeName, pods: podWorkers, runtime: cri, client, clientCaPem: caPem,
 *   certPem: serving.certPem, keyPem: serving.keyPem, clock, logger,
 * });
 * // at shutdown
 * await kubeletApi.close();
 * ```
 *
 * @module
 */
import type { Client } from "../../control/client/client.ts";
import type { Clock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import {
  type ApiReviews,
  ClientApiReviews,
  clusterCaVerifier,
  KubeletAuth,
} from "./kubelet_auth.ts";
import { KubeletHandler, type KubeletPodSource, type KubeletRuntime } from "./kubelet_handler.ts";
import { type KubeletServer, startKubeletServer } from "./kubelet_server.ts";

/** Options of {@linkcode startKubeletApi}. */
export interface KubeletApiOptions {
  readonly nodeName: string;
  /** The pod workers (node/kubelet `PodWorkers`). */
  readonly pods: KubeletPodSource;
  /** The CRI client. */
  readonly runtime: KubeletRuntime;
  /** The agent's client of the API (node credentials): TokenReviews and SubjectAccessReviews. */
  readonly client: Client;
  /** The CA bundle client certificates must chain to (the cluster CA). */
  readonly clientCaPem: string;
  /** The serving certificate chain and key (PEM). */
  readonly certPem: string;
  readonly keyPem: string;
  /** @default {10250} */
  readonly port?: number;
  /** @default {"0.0.0.0"} */
  readonly hostname?: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Replaces the reviews through `client` (tests). */
  readonly reviews?: ApiReviews;
}

/** Starts the kubelet API; resolves once it listens. */
export function startKubeletApi(options: KubeletApiOptions): Promise<KubeletServer> {
  const logger = options.logger.with({ component: "kubelet-api" });
  const auth = new KubeletAuth({
    nodeName: options.nodeName,
    reviews: options.reviews ?? new ClientApiReviews(options.client),
    verifyClientCertificate: clusterCaVerifier(options.clientCaPem),
    clock: options.clock,
  });
  const handler = new KubeletHandler({
    pods: options.pods,
    runtime: options.runtime,
    auth,
    clock: options.clock,
    logger,
  });
  return startKubeletServer({
    handler,
    certPem: options.certPem,
    keyPem: options.keyPem,
    logger,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
  });
}
