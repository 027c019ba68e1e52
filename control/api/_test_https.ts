/**
 * Test support: a cluster PKI in a temporary data directory and an HTTPS listener on a free
 * loopback port with its serving certificate — what every test of a real TLS connection sets
 * up. Both are removed or closed when disposed.
 *
 * @module
 */
import { RecordingLogger } from "../util/logger.ts";
import { type FetchApp, type HttpsServer, startHttpsServer } from "./https_server.ts";
import { type ClusterPki, ensureClusterPki } from "./pki/cluster_pki.ts";

/** A {@linkcode ClusterPki} for `localhost` and 127.0.0.1 in its own data directory. */
export interface TestPki extends ClusterPki, AsyncDisposable {
  readonly dataDir: string;
}

/** Creates a fresh cluster PKI under a new temporary data directory (removed on dispose). */
export async function createTestPki(): Promise<TestPki> {
  const dataDir = await Deno.makeTempDir({ prefix: "skiff-test-pki-" });
  const pki = await ensureClusterPki({
    dataDir,
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    serverUrl: "https://127.0.0.1:6443",
    now: new Date(),
  });
  return {
    ...pki,
    dataDir,
    [Symbol.asyncDispose]: () => Deno.remove(dataDir, { recursive: true }),
  };
}

/** A listener on 127.0.0.1 and the kubeconfig that reaches it. */
export interface TestHttpsServer extends HttpsServer, AsyncDisposable {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  /** The PKI's admin kubeconfig, pointing at this listener. */
  readonly kubeconfig: string;
}

/** Serves `app` over HTTPS on a free loopback port with `pki`'s serving certificate. */
export async function startTestHttps(app: FetchApp, pki: ClusterPki): Promise<TestHttpsServer> {
  const server = await startHttpsServer({
    app,
    port: 0,
    hostname: "127.0.0.1",
    certPem: pki.serving.certPem,
    keyPem: pki.serving.keyPem,
    logger: new RecordingLogger(),
  });
  const url = `https://127.0.0.1:${server.port}`;
  return {
    port: server.port,
    url,
    kubeconfig: pki.kubeconfig.replace("https://127.0.0.1:6443", url),
    setCertificate: (certPem, keyPem) => server.setCertificate(certPem, keyPem),
    close: () => server.close(),
    [Symbol.asyncDispose]: () => server.close(),
  };
}
