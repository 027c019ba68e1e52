import assert from "node:assert/strict";
import { MemoryStorage } from "../storage/memory.ts";
import { systemClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { AuthenticationError } from "./auth/authenticator.ts";
import { decodeProtobufBody } from "./codec/protobuf_body.ts";
import { ensureClusterPki } from "./pki/cluster_pki.ts";
import { BUILTIN_RESOURCES } from "./registry/builtin_resources.ts";
import { ResourceRegistry } from "./registry/resource_registry.ts";
import { buildSecurity } from "./security.ts";
import { ObjectViews } from "./store/object_views.ts";

async function build() {
  const dataDir = await Deno.makeTempDir();
  const storage = new MemoryStorage();
  const logger = new RecordingLogger();
  const stop = new AbortController();
  const registry = new ResourceRegistry(BUILTIN_RESOURCES);
  const pki = await ensureClusterPki({
    dataDir,
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    serverUrl: "https://127.0.0.1:6443",
    now: new Date(),
  });
  const security = await buildSecurity({
    storage,
    views: new ObjectViews({ storage, logger, signal: stop.signal }),
    registry: () => registry,
    pki,
    dataDir,
    clusterDomain: "cluster.local",
    serviceCidr: "10.43.0.0/16",
    serverAddress: () => "127.0.0.1:6443",
    protobuf: decodeProtobufBody,
    clock: systemClock,
    logger,
    signal: stop.signal,
  });
  return {
    security,
    pki,
    dataDir,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await storage.close();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

Deno.test("buildSecurity() orders the admission chain as upstream's plugins", async () => {
  await using s = await build();
  assert.deepEqual(s.security.admission.names, [
    "NamespaceLifecycle",
    "LimitRanger",
    "ServiceAccount",
    "NodeRestriction",
    "PodSecurity",
    "Priority",
    "DefaultTolerationSeconds",
    "RBACEscalation",
    "ServiceAllocator",
    "ResourceQuota",
  ]);
});

Deno.test("buildSecurity() answers every review resource and the security routes", async () => {
  await using s = await build();
  const { extensions } = s.security;
  for (const def of BUILTIN_RESOURCES.filter((d) => d.ephemeral)) {
    assert.ok(
      extensions.reviews?.some((r) => r.handles(def)),
      `${def.resource}.${def.group}/${def.version} has no handler`,
    );
  }
  assert.deepEqual(
    extensions.subresources?.map((h) => `${h.resource}/${h.subresource}`),
    [
      "pods/log",
      "pods/exec",
      "pods/attach",
      "pods/portforward",
      "pods/proxy",
      "services/proxy",
      "nodes/proxy",
      "serviceaccounts/token",
    ],
  );
  assert.deepEqual(extensions.routes?.map((r) => `${r.method} ${r.path}`).sort(), [
    "GET /.well-known/openid-configuration",
    "GET /.well-known/openid-configuration/",
    "GET /cacerts",
    "GET /openid/v1/jwks",
    "GET /openid/v1/jwks/",
    "POST /v1-skiff/node-credentials",
  ]);
  // The signing key was created in the data dir, private.
  const info = await Deno.stat(`${s.dataDir}/tls/service-account.key`);
  assert.equal(info.mode! & 0o777, 0o600);
});

Deno.test("buildSecurity() authenticates certificates of the cluster CA and refuses bad tokens", async () => {
  await using s = await build();
  const { authenticator, authorizer } = s.security;
  const request = new Request("https://x/api/v1/namespaces/default/pods");
  const admin = await authenticator.authenticate(request, {
    peerCertificate: s.pki.admin.der,
    connectionKey: {},
  });
  assert.equal(admin?.username, "system:admin");
  assert.ok(admin?.groups.includes("system:masters"));
  assert.equal(await authenticator.authenticate(request, {}), null, "no credential: anonymous");
  for (const token of ["abcdef.0123456789abcdef", "skiff-node:n1:xxxx", "a.b.c", "opaque"]) {
    await assert.rejects(
      authenticator.authenticate(
        new Request(request.url, { headers: { authorization: `Bearer ${token}` } }),
        {},
      ),
      AuthenticationError,
      token,
    );
  }
  // Before the bootstrap policy exists only system:masters gets anything.
  const attrs = {
    verb: "list",
    resourceRequest: true,
    path: "/api/v1/namespaces/default/pods",
    apiGroup: "",
    apiVersion: "v1",
    resource: "pods",
    subresource: "",
    namespace: "default",
    name: "",
  };
  assert.equal((await authorizer.authorize({ ...attrs, user: admin! })).decision, "allow");
  assert.notEqual(
    (await authorizer.authorize({
      ...attrs,
      user: { username: "bob", groups: ["system:authenticated"] },
    })).decision,
    "allow",
  );
});
