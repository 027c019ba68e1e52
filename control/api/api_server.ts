/**
 * The API server as one component: builds the app (registry, handlers, admission, watch
 * caches, authentication) over a storage, listens on HTTPS with the cluster's serving
 * certificate, bootstraps the objects a cluster starts with, and reports readiness — the piece
 * `skiff server` starts after storage and before the scheduler and controllers.
 *
 * @module
 */
import type { Storage } from "../storage/types.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { CustomResourceDefinitions } from "./apiextensions/crd_controller.ts";
import { type ApiEnv, createApiApp, type VersionDocument } from "./app.ts";
import { bootstrapCluster } from "./bootstrap.ts";
import { decodeProtobufBody } from "./codec/protobuf_body.ts";
import type { ProtobufDecoder } from "./handlers/decode_body.ts";
import type { ExtraRoute } from "./handlers/extensions.ts";
import { OpenApiHandler } from "./handlers/openapi_handler.ts";
import { type HttpsServer, startHttpsServer } from "./https_server.ts";
import { InProcessClient } from "./in_process_client.ts";
import type { ClusterPki } from "./pki/cluster_pki.ts";
import type { ResourceRegistry } from "./registry/resource_registry.ts";
import { buildSecurity, type Security } from "./security.ts";
import { ObjectViews } from "./store/object_views.ts";
import { viewProjection } from "./store/view_projections.ts";
import { storagePrefixOf } from "./store/storage_keys.ts";
import { TtlSweeper } from "./store/ttl_sweeper.ts";
import { WatchCaches } from "./store/watch_caches.ts";
import type { Hono } from "hono";

/** Options of {@linkcode startApiServer}. */
export interface ApiServerOptions {
  readonly storage: Storage;
  readonly registry: ResourceRegistry;
  readonly pki: ClusterPki;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly version: VersionDocument;
  readonly serviceCidr: string;
  /** The address other nodes and pods reach this server at. */
  readonly advertiseAddress: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** @default {"0.0.0.0"} */
  readonly hostname?: string;
  /** @default {decodeProtobufBody} */
  readonly protobuf?: ProtobufDecoder;
  /** The data directory (the ServiceAccount signing key is kept in its `tls/`). */
  readonly dataDir: string;
  /** @default {"cluster.local"} */
  readonly clusterDomain?: string;
  /** More non-resource routes (the encryption-key routes). */
  readonly routes?: readonly ExtraRoute[];
  /**
   * The address of the `kube-system/kube-dns` Service kept at start; `null`: DNS is disabled
   * and the Service removed; unset: left alone (see `BootstrapOptions.clusterDns`).
   */
  readonly clusterDns?: string | null;
  /** Called as each HTTPS request arrives (see `HttpsServerOptions.onRequest`). */
  readonly onRequest?: () => void;
}

/** A running API server. */
export interface ApiServer {
  readonly app: Hono<ApiEnv>;
  readonly port: number;
  /** A client acting as the server itself (`system:apiserver`, in `system:masters`). */
  readonly client: InProcessClient;
  /** The authenticator, authorizer and admission chain requests go through. */
  readonly security: Security;
  /**
   * New connections get this certificate; open ones (watches) keep theirs. Throws, keeping the
   * old one, when the pair is unusable.
   */
  setServingCertificate(pair: { readonly certPem: string; readonly keyPem: string }): void;
  /** Requests to kubelets from now on present this client certificate (renewal). */
  setKubeletClientCertificate(pair: { readonly certPem: string; readonly keyPem: string }): void;
  /** Stops listening, ends watches and stops the caches. */
  close(): Promise<void>;
}

/** Builds and starts the API server; resolves once it serves and the cluster is bootstrapped. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { storage, clock, logger, signal } = options;
  const stop = new AbortController();
  const stopSignal = AbortSignal.any([signal, stop.signal]);
  const caches = new WatchCaches({ storage, logger, signal: stopSignal });
  // The views keep what the security layer reads, not whole objects (view_projections.ts).
  const views = new ObjectViews({ storage, logger, signal: stopSignal, project: viewProjection });
  let ready = false;
  let port = options.port;
  // The built-in resources plus those of established CustomResourceDefinitions.
  const crds = new CustomResourceDefinitions({
    builtins: options.registry,
    storage,
    clock,
    logger,
    signal: stopSignal,
  });
  const registry = () => crds.registry();
  const serverAddress = () => `${options.advertiseAddress}:${port}`;
  const protobuf = options.protobuf ?? decodeProtobufBody;
  let security: Security;
  let kubeletClient: { readonly certPem: string; readonly keyPem: string } =
    options.pki.kubeletClient;
  try {
    security = await buildSecurity({
      storage,
      views,
      registry,
      pki: options.pki,
      kubeletCredentials: () => ({ certPem: kubeletClient.certPem, keyPem: kubeletClient.keyPem }),
      dataDir: options.dataDir,
      clusterDomain: options.clusterDomain ?? "cluster.local",
      serviceCidr: options.serviceCidr,
      serverAddress,
      protobuf,
      clock,
      logger,
      signal: stopSignal,
      ...(options.routes ? { routes: options.routes } : {}),
    });
  } catch (err) {
    stop.abort();
    throw new Error("Cannot set up authentication and authorization", { cause: err });
  }
  const app = createApiApp({
    storage,
    registry,
    caches,
    views,
    admission: security.admission,
    clock,
    logger: logger.with({ component: "apiserver" }),
    signal: stopSignal,
    authenticator: security.authenticator,
    authorizer: security.authorizer,
    version: options.version,
    serverAddress,
    openapi: new OpenApiHandler({ registry, gitVersion: options.version.gitVersion }),
    ready: () => ready,
    rest: { protobuf },
    extensions: security.extensions,
  });
  const client = new InProcessClient(app, {
    username: "system:apiserver",
    groups: ["system:masters", "system:authenticated"],
  });
  let https: HttpsServer;
  try {
    https = await startHttpsServer({
      app,
      port: options.port,
      ...(options.hostname ? { hostname: options.hostname } : {}),
      certPem: options.pki.serving.certPem,
      keyPem: options.pki.serving.keyPem,
      logger,
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    });
  } catch (err) {
    stop.abort();
    throw new Error(`Cannot listen on port ${options.port}`, { cause: err });
  }
  port = https.port;
  try {
    await bootstrapCluster({
      client,
      logger,
      serviceCidr: options.serviceCidr,
      advertiseAddress: options.advertiseAddress,
      port,
      ...(options.clusterDns !== undefined ? { clusterDns: options.clusterDns } : {}),
    });
  } catch (err) {
    await https.close();
    stop.abort();
    throw new Error("Cannot bootstrap the cluster's objects", { cause: err });
  }
  try {
    await security.start(client);
  } catch (err) {
    await https.close();
    stop.abort();
    throw new Error("Cannot start the security layer's loops", { cause: err });
  }
  try {
    await crds.start(client);
  } catch (err) {
    await https.close();
    stop.abort();
    throw new Error("Cannot start serving custom resources", { cause: err });
  }
  // Kinds with a TTL (Events) expire on every backend; one sweeper per storage prefix.
  const ttls = new Map<string, number>();
  for (const def of options.registry.all()) {
    if (def.ttlMs) ttls.set(storagePrefixOf(def), def.ttlMs);
  }
  const sweepers = [...ttls].map(([prefix, ttlMs]) =>
    new TtlSweeper({
      storage,
      prefix,
      ttlMs,
      clock,
      logger: logger.with({ component: "ttl", prefix }),
    })
      .run(stopSignal)
      .catch((err) => {
        if (!stopSignal.aborted) logger.error("Object expiry stopped", { prefix, error: err });
      })
  );
  ready = true;
  logger.info("API server is serving", { port, advertiseAddress: options.advertiseAddress });
  let closing: Promise<void> | null = null;
  return {
    app,
    port,
    client,
    security,
    setServingCertificate(pair) {
      https.setCertificate(pair.certPem, pair.keyPem);
    },
    setKubeletClientCertificate(pair) {
      kubeletClient = pair;
    },
    close() {
      closing ??= (async () => {
        ready = false;
        stop.abort();
        caches.stop();
        await https.close();
        await Promise.all(sweepers);
      })();
      return closing;
    },
  };
}
