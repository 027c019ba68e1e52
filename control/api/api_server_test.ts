import assert from "node:assert/strict";
import { MemoryStorage } from "../storage/memory.ts";
import { systemClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { WatchReader } from "./_test_watch.ts";
import { type ApiServer, type ApiServerOptions, startApiServer } from "./api_server.ts";
import { ensureClusterPki } from "./pki/cluster_pki.ts";
import { BUILTIN_RESOURCES } from "./registry/builtin_resources.ts";
import { ResourceRegistry } from "./registry/resource_registry.ts";

/** Starts a server on a free port of 127.0.0.1 over memory storage, with a fresh PKI. */
async function start(extra: Partial<ApiServerOptions> = {}) {
  const dataDir = await Deno.makeTempDir();
  const pki = await ensureClusterPki({
    dataDir,
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    serverUrl: "https://127.0.0.1:6443",
    now: new Date(),
  });
  const storage = new MemoryStorage();
  const logger = new RecordingLogger();
  const stop = new AbortController();
  let server: ApiServer | undefined;
  const client = Deno.createHttpClient({ caCerts: [pki.ca.certPem] });
  const cleanup = async () => {
    await server?.close();
    stop.abort();
    client.close();
    await storage.close();
    await Deno.remove(dataDir, { recursive: true });
  };
  try {
    server = await startApiServer({
      storage,
      registry: new ResourceRegistry(BUILTIN_RESOURCES),
      pki,
      clock: systemClock,
      logger,
      signal: stop.signal,
      version: { major: "1", minor: "33", gitVersion: "v1.33.0" },
      serviceCidr: "10.43.0.0/16",
      advertiseAddress: "192.0.2.10",
      port: 0,
      hostname: "127.0.0.1",
      dataDir,
      ...extra,
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  const s = server;
  return {
    server: s,
    storage,
    logger,
    pki,
    fetch: (path: string) =>
      fetch(`https://127.0.0.1:${s.port}${path}`, { client, signal: AbortSignal.timeout(5000) }),
    [Symbol.asyncDispose]: cleanup,
  };
}

Deno.test("startApiServer() listens on a free port, ready and bootstrapped", async () => {
  await using s = await start();
  assert.ok(s.server.port > 0);
  const ready = await s.fetch("/readyz");
  assert.equal(ready.status, 200);
  assert.equal(await ready.text(), "ok");
  const version = await s.fetch("/version");
  assert.equal((await version.json()).gitVersion, "v1.33.0");
  // Anonymous requests get no further than the public paths.
  const api = await s.fetch("/api/v1/namespaces");
  assert.equal(api.status, 401);
  await api.body?.cancel();
  // The server's own client acts as a cluster admin; the cluster's objects exist.
  const ns = await s.server.client.json("GET", "/api/v1/namespaces/kube-system");
  assert.equal(ns.status, 200);
  const svc = await s.server.client.json("GET", "/api/v1/namespaces/default/endpoints/kubernetes");
  assert.deepEqual(svc.body.subsets, [{
    addresses: [{ ip: "192.0.2.10" }],
    ports: [{ name: "https", port: s.server.port, protocol: "TCP" }],
  }]);
  assert.ok(s.logger.messages("info").includes("API server is serving"));
});

Deno.test("ApiServer.close() stops serving, ends watches and is idempotent", async () => {
  await using s = await start();
  const res = await s.server.client.request("GET", "/api/v1/namespaces?watch=true");
  assert.equal(res.status, 200);
  await using events = new WatchReader(res);
  assert.equal((await events.take(4)).length, 4, "the four system namespaces");
  const port = s.server.port;
  const closing = s.server.close();
  assert.equal(s.server.close(), closing, "one close");
  await closing;
  assert.equal(await events.next(), null, "the watch ended");
  await assert.rejects(() =>
    fetch(`https://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) })
  );
});

Deno.test("ApiServer serves the admin's client certificate over HTTPS, and close() ends its watch", async () => {
  await using s = await start();
  const admin = Deno.createHttpClient({
    caCerts: [s.pki.ca.certPem],
    cert: s.pki.admin.certPem,
    key: s.pki.admin.keyPem,
  });
  try {
    const base = `https://127.0.0.1:${s.server.port}`;
    const ns = await fetch(`${base}/api/v1/namespaces/default`, { client: admin });
    assert.equal(ns.status, 200);
    assert.equal((await ns.json()).metadata.name, "default");
    const watch = await fetch(
      `${base}/api/v1/namespaces?watch=true&fieldSelector=metadata.name%3Ddefault`,
      {
        client: admin,
      },
    );
    assert.equal(watch.status, 200);
    await using events = new WatchReader(watch);
    assert.equal((await events.next())?.type, "ADDED");
    await s.server.close();
    // The stream ends (the listener drops the connection right after the watch ends, so the
    // client may see the end or a cut connection; either way it re-watches).
    const end = await events.next().catch((err: Error) => err);
    assert.ok(
      end === null || (end instanceof TypeError && /connection/.test(end.message)),
      String(end),
    );
  } finally {
    admin.close();
  }
});

Deno.test("startApiServer() fails with the port it could not listen on", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    await assert.rejects(() => start({ port }), { message: `Cannot listen on port ${port}` });
  } finally {
    busy.close();
  }
});
