import assert from "node:assert/strict";
import { RecordingLogger } from "./logger.ts";
import { checkServingKeyPair, startTlsHttp1Server } from "./tls_http1_server.ts";
import { createCa, issueCertificate } from "./x509/certificates.ts";

const NO_STREAMING = { isStreamed: () => false, pushSource: () => undefined };

async function pair(name: string) {
  const now = new Date();
  const ca = await createCa({ commonName: `${name}-ca`, now });
  const leaf = await issueCertificate(ca, {
    commonName: name,
    usage: "server",
    ipAddresses: ["127.0.0.1"],
    now,
  });
  return { ca, leaf };
}

Deno.test("startTlsHttp1Server() answers over TLS once per connection and swaps certificates", async () => {
  const { ca, leaf } = await pair("one");
  let connections = 0;
  const server = await startTlsHttp1Server({
    port: 0,
    hostname: "127.0.0.1",
    certPem: leaf.certPem,
    keyPem: leaf.keyPem,
    logger: new RecordingLogger(),
    connection: () => {
      connections++;
      return (request) => Promise.resolve(new Response(`hello ${new URL(request.url).pathname}`));
    },
    streaming: NO_STREAMING,
    stopping: new Error("stopping"),
  });
  try {
    using client = Deno.createHttpClient({ caCerts: [ca.certPem], http2: false });
    const first = await fetch(`https://127.0.0.1:${server.port}/a`, { client });
    assert.equal(await first.text(), "hello /a");
    const second = await fetch(`https://127.0.0.1:${server.port}/b`, { client });
    assert.equal(await second.text(), "hello /b");
    assert.equal(connections, 1, "one connection, kept alive");

    const other = await pair("two");
    assert.throws(() => server.setCertificate(leaf.certPem, other.leaf.keyPem), {
      name: "TypeError",
      message: "Cannot use serving certificate: the key is not the certificate's",
    });
    server.setCertificate(other.leaf.certPem, other.leaf.keyPem);
    using otherClient = Deno.createHttpClient({ caCerts: [other.ca.certPem], http2: false });
    const third = await fetch(`https://127.0.0.1:${server.port}/c`, { client: otherClient });
    assert.equal(await third.text(), "hello /c");
  } finally {
    await server.close();
  }
});

Deno.test("checkServingKeyPair() refuses what it cannot read", () => {
  assert.throws(() => checkServingKeyPair("not a certificate", "not a key"), {
    name: "TypeError",
    message: "Cannot use serving certificate: cannot read the certificate or key",
  });
});
