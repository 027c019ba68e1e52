import assert from "node:assert/strict";
import { RecordingLogger } from "../util/logger.ts";
import { streamedResponse } from "./handlers/render.ts";
import { startHttpsServer } from "./https_server.ts";
import { ensureClusterPki } from "./pki/cluster_pki.ts";

Deno.test("startHttpsServer() sends a streamed response's headers before its first chunk", async () => {
  const dataDir = await Deno.makeTempDir();
  const release = Promise.withResolvers<void>();
  try {
    const pki = await ensureClusterPki({
      dataDir,
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
      serverUrl: "https://127.0.0.1:6443",
      now: new Date(),
    });
    const server = await startHttpsServer({
      app: {
        fetch: () =>
          streamedResponse(
            new ReadableStream<Uint8Array>({
              async start(controller) {
                // Like a watch from an exact resourceVersion: nothing to send for now.
                await release.promise;
                controller.enqueue(new TextEncoder().encode('{"type":"ADDED"}\n'));
                controller.close();
              },
            }),
            { headers: { "content-type": "application/json" } },
          ),
      },
      port: 0,
      hostname: "127.0.0.1",
      certPem: pki.serving.certPem,
      keyPem: pki.serving.keyPem,
      logger: new RecordingLogger(),
    });
    const client = Deno.createHttpClient({ caCerts: [pki.ca.certPem] });
    try {
      const res = await fetch(`https://127.0.0.1:${server.port}/watch`, {
        client,
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/json");
      release.resolve();
      assert.equal(await res.text(), '{"type":"ADDED"}\n');
    } finally {
      release.resolve();
      client.close();
      await server.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("startHttpsServer() answers a plain response in full", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const pki = await ensureClusterPki({
      dataDir,
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
      serverUrl: "https://127.0.0.1:6443",
      now: new Date(),
    });
    const server = await startHttpsServer({
      app: { fetch: () => new Response("ok", { headers: { "content-type": "text/plain" } }) },
      port: 0,
      hostname: "127.0.0.1",
      certPem: pki.serving.certPem,
      keyPem: pki.serving.keyPem,
      logger: new RecordingLogger(),
    });
    const client = Deno.createHttpClient({ caCerts: [pki.ca.certPem] });
    try {
      const res = await fetch(`https://127.0.0.1:${server.port}/readyz`, { client });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "ok");
    } finally {
      client.close();
      await server.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
