/**
 * The API server's security layer, assembled: who a request is (client certificates, join
 * tokens, node credentials, ServiceAccount tokens), what it may do (the Node authorizer, then
 * RBAC; `system:masters` bypasses both), the admission chain in upstream's order, the review
 * APIs, TokenRequest, OIDC discovery, the join route — and the loops inside the server they
 * depend on (RBAC bootstrap policy, ClusterRole aggregation, each namespace's default
 * ServiceAccount and root CA, expired join tokens, quota usage).
 *
 * {@linkcode buildSecurity} starts the object views every per-request check reads (so no
 * request reads storage to be authenticated or authorized); {@linkcode Security.start} runs the
 * loops once the in-process client exists.
 *
 * @module
 */
import type { Storage } from "../storage/types.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { AdmissionChain, type AdmissionPlugin } from "./admission/admission.ts";
import { DefaultTolerationSeconds } from "./admission/default_toleration_seconds.ts";
import { LimitRanger } from "./admission/limit_ranger.ts";
import { NamespaceLifecycle } from "./admission/namespace_lifecycle.ts";
import { NodeRestriction } from "./admission/node_restriction.ts";
import { PodSecurity } from "./admission/pod_security.ts";
import { PriorityAdmission } from "./admission/priority.ts";
import { ResourceQuotaAdmission } from "./admission/resource_quota.ts";
import { ServiceAccountAdmission } from "./admission/service_account.ts";
import { ServiceAllocator } from "./admission/service_allocator.ts";
import { AccessReviewHandler } from "./auth/access_reviews.ts";
import {
  type Authenticator,
  InternalAuthenticator,
  type TokenAuthenticator,
  UnionAuthenticator,
} from "./auth/authenticator.ts";
import { type Authorizer, UnionAuthorizer } from "./auth/authorizer.ts";
import { BearerTokenAuthenticator } from "./auth/bearer_token.ts";
import { reconcileBootstrapPolicy } from "./auth/bootstrap_policy.ts";
import { BootstrapTokenAuthenticator, BootstrapTokenCleaner } from "./auth/bootstrap_token.ts";
import { ClusterRoleAggregationController } from "./auth/cluster_role_aggregation.ts";
import {
  CaCertsRoute,
  NodeCredentialAuthenticator,
  NodeCredentialRoute,
} from "./auth/node_credential.ts";
import { NodeAuthorizer } from "./auth/node_authorizer.ts";
import { oidcDiscoveryRoutes } from "./auth/oidc_discovery.ts";
import { RbacAuthorizer } from "./auth/rbac_authorizer.ts";
import { RbacEscalation } from "./auth/rbac_escalation.ts";
import { SelfSubjectReviewHandler } from "./auth/self_subject_review.ts";
import { ServiceAccountTokenAuthenticator } from "./auth/service_account_authenticator.ts";
import { ensureServiceAccountKeys } from "./auth/service_account_keys.ts";
import { defaultIssuer, ServiceAccountTokenIssuer } from "./auth/service_account_token.ts";
import { TokenRequestHook } from "./auth/token_request.ts";
import { TokenReviewHandler } from "./auth/token_review.ts";
import { X509Authenticator } from "./auth/x509_authenticator.ts";
import type { ProtobufDecoder } from "./handlers/decode_body.ts";
import type { ApiExtensions, ExtraRoute } from "./handlers/extensions.ts";
import type { InProcessClient } from "./in_process_client.ts";
import type { ClusterPki } from "./pki/cluster_pki.ts";
import type { KubeletClientCredentials } from "./kubelet_connection.ts";
import { PodLogHook, podLogReaders } from "./pod_logs.ts";
import { podStreamHooks } from "./streaming/pod_stream_hook.ts";
import { proxyHooks, storageProxyReaders } from "./proxy/proxy_hooks.ts";
import type { ResourceRegistry } from "./registry/resource_registry.ts";
import { ResourceQuotaController } from "./resource_quota_controller.ts";
import { ServiceAccountKeeper } from "./service_account_keeper.ts";
import type { ObjectViews } from "./store/object_views.ts";

/** Options of {@linkcode buildSecurity}. */
export interface SecurityOptions {
  readonly storage: Storage;
  readonly views: ObjectViews;
  readonly registry: () => ResourceRegistry;
  readonly pki: ClusterPki;
  /** The API server's client certificate towards kubelets, read per request (it is renewed). */
  readonly kubeletCredentials?: () => KubeletClientCredentials;
  /** Where the ServiceAccount signing key lives (`<data-dir>/tls/service-account.key`). */
  readonly dataDir: string;
  readonly clusterDomain: string;
  readonly serviceCidr: string;
  /** `host:port` clients reach the server at (the OIDC documents' JWKS address). */
  readonly serverAddress: () => string;
  readonly protobuf: ProtobufDecoder;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Stops the views and loops. */
  readonly signal: AbortSignal;
  /** More non-resource routes to serve (the encryption-key routes). */
  readonly routes?: readonly ExtraRoute[];
}

/** What {@linkcode buildSecurity} assembled. */
export interface Security {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly admission: AdmissionChain;
  readonly extensions: ApiExtensions;
  /**
   * Runs the server-side loops through `client` (a cluster admin); resolves once the RBAC
   * bootstrap policy is reconciled and every namespace has its default ServiceAccount and
   * root CA. Call it once the API serves.
   */
  start(client: InProcessClient): Promise<void>;
}

/** Prefixes every per-request check reads: started before the server takes a request. */
const VIEWED_PREFIXES = [
  "/registry/secrets/",
  "/registry/serviceaccounts/",
  "/registry/pods/",
  "/registry/nodes/",
  "/registry/persistentvolumes/",
  "/registry/namespaces/",
  "/registry/clusterroles/",
  "/registry/clusterrolebindings/",
  "/registry/roles/",
  "/registry/rolebindings/",
] as const;

/** Builds the security layer and starts the views it reads. */
export async function buildSecurity(options: SecurityOptions): Promise<Security> {
  const { views, clock, storage, signal } = options;
  const log = (component: string) => options.logger.with({ component });
  await Promise.all(VIEWED_PREFIXES.map((p) => views.started(p)));
  const secrets = views.get("/registry/secrets/");
  const nodes = views.get("/registry/nodes/");
  const pods = views.get("/registry/pods/");
  const caCertPem = () => options.pki.ca.certPem;

  // Authentication.
  const keys = await ensureServiceAccountKeys({ dataDir: options.dataDir });
  const issuer = defaultIssuer(options.clusterDomain);
  const apiAudiences = [issuer];
  const serviceAccountTokens = new ServiceAccountTokenAuthenticator({
    keys,
    issuer,
    apiAudiences,
    views,
    clock,
  });
  await serviceAccountTokens.start();
  const tokenAuthenticators: TokenAuthenticator[] = [
    new NodeCredentialAuthenticator({ secrets }),
    new BootstrapTokenAuthenticator({ secrets, clock }),
    serviceAccountTokens,
  ];
  const authenticator = new UnionAuthenticator([
    new InternalAuthenticator(),
    new X509Authenticator({ cas: () => [options.pki.ca.certificate], clock }),
    new BearerTokenAuthenticator(tokenAuthenticators),
  ]);

  // Authorization: the Node authorizer first (it refuses nothing, only allows), then RBAC.
  const rbac = new RbacAuthorizer({ views });
  await rbac.start();
  const nodeAuthorizer = new NodeAuthorizer({
    pods,
    persistentVolumes: views.get("/registry/persistentvolumes/"),
  });
  signal.addEventListener("abort", () => nodeAuthorizer[Symbol.dispose](), { once: true });
  const authorizer = new UnionAuthorizer([nodeAuthorizer, rbac]);

  // Admission, in upstream's plugin order (mutating phases first, then validating ones).
  const quota = new ResourceQuotaAdmission({ views, storage, logger: log("resourcequota"), clock });
  const plugins: AdmissionPlugin[] = [
    new NamespaceLifecycle({ storage, logger: options.logger, signal }),
    new LimitRanger({ views }),
    new ServiceAccountAdmission({ views, clock }),
    new NodeRestriction({ pods, nodes, authorizer }),
    new PodSecurity({ views, storage, logger: log("podsecurity") }),
    new PriorityAdmission({ views }),
    new DefaultTolerationSeconds(),
    new RbacEscalation({ authorizer, rbac }),
    new ServiceAllocator({ storage, serviceCidr: options.serviceCidr }),
    quota,
  ];
  const admission = new AdmissionChain(plugins);

  // The API server's client certificate towards kubelets (logs, exec, attach, port-forward,
  // nodes/proxy).
  const kubeletCredentials = options.kubeletCredentials ?? (() => ({
    certPem: options.pki.kubeletClient.certPem,
    keyPem: options.pki.kubeletClient.keyPem,
  }));

  // The APIs and routes of the security layer.
  const nodeCredentials = new NodeCredentialRoute({
    caCertPem,
    logger: log("node-credentials"),
    nodes,
  });
  const extensions: ApiExtensions = {
    reviews: [
      new TokenReviewHandler({
        authenticators: tokenAuthenticators,
        apiAudiences,
        clock,
        protobuf: options.protobuf,
      }),
      new SelfSubjectReviewHandler({ clock, protobuf: options.protobuf }),
      new AccessReviewHandler({
        authorizer,
        ruleResolvers: [nodeAuthorizer, rbac],
        protobuf: options.protobuf,
        clock,
      }),
    ],
    subresources: [
      new PodLogHook({
        ...podLogReaders(views),
        credentials: kubeletCredentials,
        logger: log("pod-logs"),
        clock,
      }),
      ...podStreamHooks({
        ...podLogReaders(views),
        credentials: kubeletCredentials,
        admission,
        logger: log("streaming"),
      }),
      ...proxyHooks({
        readers: storageProxyReaders(storage),
        credentials: kubeletCredentials,
        admission,
        logger: log("proxy"),
      }),
      new TokenRequestHook({
        issuer: new ServiceAccountTokenIssuer({ keys }),
        issuerUrl: issuer,
        apiAudiences,
        views,
        clock,
        admission,
        protobuf: options.protobuf,
      }),
    ],
    routes: [
      ...oidcDiscoveryRoutes({ issuer, externalAddress: options.serverAddress, keys }),
      nodeCredentials,
      new CaCertsRoute(caCertPem),
      ...(options.routes ?? []),
    ],
  };

  return {
    authenticator,
    authorizer,
    admission,
    extensions,
    async start(client) {
      const summary = await reconcileBootstrapPolicy(client, log("rbac-bootstrap"));
      options.logger.info("Reconciled RBAC bootstrap policy", {
        created: summary.created.length,
        updated: summary.updated.length,
        skipped: summary.skipped.length,
      });
      await new ClusterRoleAggregationController({ views, logger: log("clusterrole-aggregation") })
        .start(client, signal);
      nodeCredentials.start(client, signal);
      new BootstrapTokenCleaner({ secrets, clock, logger: log("bootstrap-token-cleaner") })
        .start(client, signal);
      await new ServiceAccountKeeper({
        views,
        logger: log("serviceaccounts"),
        clock,
        rootCaPem: options.pki.ca.certPem,
      }).start(client, signal);
      await new ResourceQuotaController({
        views,
        registry: options.registry,
        logger: log("resourcequota-controller"),
        clock,
        admission: quota,
      }).start(client, signal);
    },
  };
}
