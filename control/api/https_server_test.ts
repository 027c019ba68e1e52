import assert from "node:assert/strict";
import tls from "node:tls";
import { RecordingLogger } from "../util/logger.ts";
import { streamedResponse } from "./handlers/render.ts";
import type { ConnectionInfo } from "./auth/authenticator.ts";
import { startHttpsServer } from "./https_server.ts";
import { takeOverSocket } from "../util/http1_connection.ts";
import { issueCertificate, serialNumberHex } from "../util/x509/certificates.ts";
import { createTestPki } from "./_test_https.ts";

Deno.test("startHttpsServer() sends a streamed response's headers before its first chunk", async () => {
  await using pki = await createTestPki();
  const release = Promise.withResolvers<void>();
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
});

Deno.test("startHttpsServer() answers a plain response in full", async () => {
  await using pki = await createTestPki();
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
});

Deno.test("startHttpsServer() calls onRequest as each request arrives, before the app", async () => {
  await using pki = await createTestPki();
  const seen: string[] = [];
  const server = await startHttpsServer({
    app: {
      fetch: (request) => {
        seen.push(`app ${new URL(request.url).pathname}`);
        return new Response("ok");
      },
    },
    port: 0,
    hostname: "127.0.0.1",
    certPem: pki.serving.certPem,
    keyPem: pki.serving.keyPem,
    logger: new RecordingLogger(),
    onRequest: () => seen.push("request"),
  });
  const client = Deno.createHttpClient({ caCerts: [pki.ca.certPem] });
  try {
    for (const path of ["/readyz", "/livez"]) {
      const res = await fetch(`https://127.0.0.1:${server.port}${path}`, { client });
      assert.equal(await res.text(), "ok");
    }
    assert.deepEqual(seen, ["request", "app /readyz", "request", "app /livez"]);
  } finally {
    client.close();
    await server.close();
  }
});

function peerSerial(port: number, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca: caPem }, () => {
      const serial = socket.getPeerCertificate().serialNumber.toUpperCase();
      socket.destroy();
      resolve(serial);
    });
    socket.once("error", reject);
  });
}

Deno.test("HttpsServer.setCertificate() serves new connections the new certificate, open ones keep going", async () => {
  await using pki = await createTestPki();
  const release = Promise.withResolvers<void>();
  const now = new Date();
  const renewed = await issueCertificate(pki.ca, {
    commonName: "skiff",
    usage: "server",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    now,
  });
  const server = await startHttpsServer({
    app: {
      fetch: (request) =>
        new URL(request.url).pathname !== "/watch" ? new Response("ok") : streamedResponse(
          new ReadableStream<Uint8Array>({
            async start(controller) {
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
  const hex = (pair: typeof renewed) => serialNumberHex(pair.certificate).replace(/^0+/, "");
  try {
    assert.equal(await peerSerial(server.port, pki.ca.certPem), hex(pki.serving));
    // A watch open on the old certificate.
    const watch = await fetch(`https://127.0.0.1:${server.port}/watch`, {
      client,
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(watch.status, 200);

    server.setCertificate(renewed.certPem, renewed.keyPem);
    assert.equal(await peerSerial(server.port, pki.ca.certPem), hex(renewed));

    // An unusable pair is refused and the current certificate stays.
    assert.throws(() => server.setCertificate(renewed.certPem, pki.admin.keyPem), {
      name: "TypeError",
      message: "Cannot use serving certificate: the key is not the certificate's",
    });
    assert.throws(() => server.setCertificate("garbage", "garbage"), {
      name: "TypeError",
      message: "Cannot use serving certificate: cannot read the certificate or key",
    });
    assert.equal(await peerSerial(server.port, pki.ca.certPem), hex(renewed));

    release.resolve();
    assert.equal(await watch.text(), '{"type":"ADDED"}\n');
  } finally {
    release.resolve();
    client.close();
    await server.close();
  }
});

Deno.test("startHttpsServer() tells the app of a client certificate it cannot read", async () => {
  await using pki = await createTestPki();
  const seen: ConnectionInfo[] = [];
  const server = await startHttpsServer({
    app: {
      fetch: (_request, env) => {
        seen.push(env.connection);
        return new Response("ok");
      },
    },
    port: 0,
    hostname: "127.0.0.1",
    certPem: pki.serving.certPem,
    keyPem: pki.serving.keyPem,
    logger: new RecordingLogger(),
  });
  const user = await issueCertificate(pki.ca, {
    commonName: "u",
    usage: "client",
    now: new Date(),
  });
  // The validity's UTCTime tag (0x17) turned into 0x07: the TLS layers take the certificate,
  // the server's X.509 parser does not.
  const der = new Uint8Array(user.der);
  const at = der.findIndex((b, i) => b === 0x17 && der[i + 1] === 0x0d);
  der[at] = 0x07;
  const pem = (d: Uint8Array) =>
    `-----BEGIN CERTIFICATE-----\n${d.toBase64()}\n-----END CERTIFICATE-----\n`;
  try {
    for (const cert of [null, user.der, der]) {
      const client = Deno.createHttpClient({
        caCerts: [pki.ca.certPem],
        ...(cert ? { cert: pem(cert), key: user.keyPem } : {}),
      });
      try {
        const res = await fetch(`https://127.0.0.1:${server.port}/`, { client });
        assert.equal(await res.text(), "ok");
      } finally {
        client.close();
      }
    }
    assert.equal(seen.length, 3);
    const [none, good, bad] = seen;
    assert.equal(none!.peerCertificate, undefined);
    assert.equal(none!.peerCertificateError, undefined);
    assert.deepEqual(good!.peerCertificate, user.der);
    assert.equal(good!.peerCertificateError, undefined);
    assert.equal(bad!.peerCertificate, undefined);
    assert.equal(typeof bad!.peerCertificateError, "string");
  } finally {
    await server.close();
  }
});

Deno.test("startHttpsServer() lets a handler take over the TLS socket for an upgrade", async () => {
  await using pki = await createTestPki();
  const server = await startHttpsServer({
    app: {
      fetch: (request) => {
        const taken = takeOverSocket(request.signal);
        if (!taken) return new Response("no socket", { status: 500 });
        const { socket, buffered } = taken;
        socket.write(new TextEncoder().encode("HTTP/1.1 101 Switching Protocols\r\n\r\n"));
        if (buffered.byteLength > 0) socket.write(buffered);
        // An echo protocol: every byte back, until the client ends.
        socket.on("data", (chunk) => socket.write(chunk));
        socket.on("end", () => socket.end());
        socket.resume();
        return new Response(null, { status: 101 });
      },
    },
    port: 0,
    hostname: "127.0.0.1",
    certPem: pki.serving.certPem,
    keyPem: pki.serving.keyPem,
    logger: new RecordingLogger(),
  });
  try {
    const received = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: "127.0.0.1", port: server.port, ca: pki.ca.certPem });
      let text = "";
      socket.on("data", (chunk: Uint8Array) => {
        text += new TextDecoder().decode(chunk);
        if (text.endsWith("ping pong")) socket.end();
      });
      socket.once("end", () => resolve(text));
      socket.once("error", reject);
      socket.write(
        "GET /echo HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nping",
      );
      setTimeout(() => socket.write(" pong"), 50);
    });
    assert.equal(received, "HTTP/1.1 101 Switching Protocols\r\n\r\nping pong");
  } finally {
    await server.close();
  }
});
