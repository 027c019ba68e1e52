// deno-lint-ignore-file no-console
/**
 * The cost of authentication + authorization per request, measured on the server's real
 * security layer: an API server started in this process (memory storage, the bootstrap RBAC
 * policy plus 1,000 more RoleBindings, 500 pods on 50 nodes) answers nothing here — its
 * authenticator and authorizer are called directly with the request each identity sends, as
 * the app calls them for every request. `deno task bench api` prints these costs as a share of
 * the GET p50 it measured over HTTPS in the same run; `deno task bench auth` prints the costs
 * alone.
 *
 * Identities: the admin (x509, `system:masters`), a user with a namespaced RoleBinding (x509 +
 * RBAC), a ServiceAccount token (JWT + RBAC), a node credential (bearer + Node authorizer).
 * "steady" is a request on an open connection with a credential seen before (kubectl and
 * controllers keep both); "new" is the first request of a new connection (x509) or a token
 * never seen (a signature to verify).
 *
 * @module
 */
import { MemoryStorage } from "../../control/storage/memory.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { type ApiServer, startApiServer } from "../../control/api/api_server.ts";
import { authorizationAttributes } from "../../control/api/app.ts";
import type { ConnectionInfo } from "../../control/api/auth/authenticator.ts";
import { issueCertificate } from "../../control/util/x509/certificates.ts";
import { ensureClusterPki } from "../../control/api/pki/cluster_pki.ts";
import { BUILTIN_RESOURCES } from "../../control/api/registry/builtin_resources.ts";
import { ResourceRegistry } from "../../control/api/registry/resource_registry.ts";

/** One identity's cost, microseconds per request. */
export interface AuthCost {
  readonly identity: string;
  readonly steadyUs: number;
  readonly newUs: number;
}

interface Identity {
  readonly name: string;
  readonly path: string;
  /** A fresh request and connection for call `i`; `fresh` asks for a new connection/token. */
  readonly make: (fresh: boolean, i: number) => { request: Request; connection: ConnectionInfo };
}

async function must(
  server: ApiServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await server.client.json(method, path, body === undefined ? {} : { body });
  if (res.status >= 300) {
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

async function populate(server: ApiServer): Promise<void> {
  await must(server, "POST", "/api/v1/namespaces", { metadata: { name: "bench" } });
  for (let n = 0; n < 100; n++) {
    await must(server, "POST", "/api/v1/namespaces", { metadata: { name: `team${n}` } });
    for (let b = 0; b < 10; b++) {
      await must(
        server,
        "POST",
        `/apis/rbac.authorization.k8s.io/v1/namespaces/team${n}/rolebindings`,
        {
          metadata: { name: `rb${b}` },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
          subjects: [{
            kind: "User",
            apiGroup: "rbac.authorization.k8s.io",
            name: `user${n}-${b}`,
          }],
        },
      );
    }
  }
  await must(server, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/bench/rolebindings", {
    metadata: { name: "alice-edit" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
    subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice" }],
  });
  await must(server, "POST", "/api/v1/namespaces/bench/serviceaccounts", {
    metadata: { name: "reader" },
  });
  await must(server, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/bench/rolebindings", {
    metadata: { name: "reader-view" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
    subjects: [{ kind: "ServiceAccount", name: "reader", namespace: "bench" }],
  });
  for (let i = 0; i < 500; i++) {
    await must(server, "POST", "/api/v1/namespaces/bench/pods", {
      metadata: { name: `p${i}` },
      spec: { nodeName: `node${i % 50}`, containers: [{ name: "c", image: "busybox" }] },
    });
  }
}

async function serviceAccountToken(server: ApiServer): Promise<string> {
  const res = await must(server, "POST", "/api/v1/namespaces/bench/serviceaccounts/reader/token", {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: { expirationSeconds: 3600 },
  });
  return (res.status as { token: string }).token;
}

/** Node credential of `node`, via the join route as an agent would get it. */
async function nodeToken(server: ApiServer): Promise<string> {
  // The join route answers bootstrappers; the in-process admin creates the credential the
  // same way, through the route's own Secret layout, by calling it with a bootstrap token.
  const id = "abcdef";
  const secret = "0123456789abcdef";
  await must(server, "POST", "/api/v1/namespaces/kube-system/secrets", {
    metadata: { name: `bootstrap-token-${id}` },
    type: "bootstrap.kubernetes.io/token",
    stringData: {
      "token-id": id,
      "token-secret": secret,
      "usage-bootstrap-authentication": "true",
    },
  });
  // Let the Secrets view see it.
  await new Promise((r) => setTimeout(r, 50));
  const res = await server.app.fetch(
    new Request("https://bench/v1-skiff/node-credentials", {
      method: "POST",
      headers: { authorization: `Bearer ${id}.${secret}`, "content-type": "application/json" },
      body: JSON.stringify({ nodeName: "node1" }),
    }),
    { connection: {} },
  );
  const body = await res.json() as { token?: string };
  if (res.status !== 201 || !body.token) {
    throw new Error(`node credential: ${res.status} ${JSON.stringify(body)}`);
  }
  await new Promise((r) => setTimeout(r, 50));
  return body.token;
}

async function timeCalls(
  server: ApiServer,
  id: Identity,
  options: { calls: number; fresh: boolean },
): Promise<number> {
  const { authenticator, authorizer } = server.security;
  const inputs = Array.from({ length: options.calls }, (_, i) => id.make(options.fresh, i));
  // Warm the code paths (not the per-credential caches of a fresh run).
  const warm = id.make(false, 0);
  for (let i = 0; i < 200; i++) {
    const user = await authenticator.authenticate(warm.request, warm.connection);
    await authorizer.authorize(authorizationAttributes(warm.request, user!));
  }
  const start = performance.now();
  for (const { request, connection } of inputs) {
    const user = await authenticator.authenticate(request, connection);
    if (user === null) throw new Error(`${id.name}: not authenticated`);
    const res = await authorizer.authorize(authorizationAttributes(request, user));
    if (res.decision !== "allow") throw new Error(`${id.name}: ${res.decision} ${res.reason}`);
  }
  return (performance.now() - start) * 1000 / options.calls;
}

/** Starts an in-process server, populates it and measures each identity. */
export async function measureAuthCost(options: { calls?: number } = {}): Promise<AuthCost[]> {
  const calls = options.calls ?? 20_000;
  const dataDir = await Deno.makeTempDir({ prefix: "skiff-bench-auth-" });
  const stop = new AbortController();
  const storage = new MemoryStorage();
  const now = new Date();
  const pki = await ensureClusterPki({
    dataDir,
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    serverUrl: "https://127.0.0.1:6443",
    now,
  });
  const server = await startApiServer({
    storage,
    registry: new ResourceRegistry(BUILTIN_RESOURCES),
    pki,
    clock: systemClock,
    logger: new RecordingLogger(),
    signal: stop.signal,
    version: { major: "1", minor: "33", gitVersion: "v1.33.0" },
    serviceCidr: "10.43.0.0/16",
    advertiseAddress: "127.0.0.1",
    port: 0,
    hostname: "127.0.0.1",
    dataDir,
  });
  try {
    await populate(server);
    const alice = await issueCertificate(pki.ca, { commonName: "alice", usage: "client", now });
    const saToken = await serviceAccountToken(server);
    const freshTokens = await Promise.all(
      Array.from({ length: 50 }, () => serviceAccountToken(server)),
    );
    const node = await nodeToken(server);
    const steadyConnection = {};
    const x509 = (name: string, der: Uint8Array, path: string): Identity => ({
      name,
      path,
      make: (fresh) => ({
        request: new Request(`https://bench${path}`),
        connection: { peerCertificate: der, connectionKey: fresh ? {} : steadyConnection },
      }),
    });
    const bearer = (name: string, token: string, path: string, fresh?: string[]): Identity => ({
      name,
      path,
      make: (isFresh, i) => ({
        request: new Request(`https://bench${path}`, {
          headers: { authorization: `Bearer ${isFresh && fresh ? fresh[i]! : token}` },
        }),
        connection: { connectionKey: steadyConnection },
      }),
    });
    const identities = [
      x509("admin (x509, system:masters)", pki.admin.der, "/api/v1/namespaces/bench/pods/p1"),
      x509("user (x509 + RBAC RoleBinding)", alice.der, "/api/v1/namespaces/bench/pods/p1"),
      bearer(
        "ServiceAccount (JWT + RBAC)",
        saToken,
        "/api/v1/namespaces/bench/pods/p1",
        freshTokens,
      ),
      bearer("node (credential + Node authorizer)", node, "/api/v1/namespaces/bench/pods/p1"),
    ];
    const out: AuthCost[] = [];
    for (const id of identities) {
      const steadyUs = await timeCalls(server, id, { calls, fresh: false });
      const newUs = await timeCalls(server, id, {
        calls: id.name.startsWith("ServiceAccount") ? freshTokens.length : 500,
        fresh: true,
      });
      out.push({ identity: id.name, steadyUs, newUs });
    }
    return out;
  } finally {
    await server.close();
    stop.abort();
    await storage.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** `deno task bench auth`: the costs alone. */
export async function runAuthBench(_args: string[]): Promise<void> {
  console.log("# authn+authz per request (us): identity | steady | new connection or token");
  for (const c of await measureAuthCost()) {
    console.log(`${c.identity} | ${c.steadyUs.toFixed(2)} | ${c.newUs.toFixed(2)}`);
    console.log(JSON.stringify({ name: `auth/${c.identity}`, ...c }));
  }
}
