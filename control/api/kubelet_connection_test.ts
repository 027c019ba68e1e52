import assert from "node:assert/strict";
import net from "node:net";
import tls from "node:tls";
import type { TLSSocket } from "node:tls";
import { createTestPki } from "./_test_https.ts";
import {
  dialKubelet,
  KubeletAddressError,
  kubeletAuthority,
  KubeletDialError,
  kubeletEndpoint,
} from "./kubelet_connection.ts";
import { createCa } from "../util/x509/certificates.ts";
import type { Node } from "./types/core_v1_node.ts";

function node(status: Node["status"]): Node {
  return { apiVersion: "v1", kind: "Node", metadata: { name: "n1" }, status } as Node;
}

Deno.test("kubeletEndpoint() picks the preferred address and the node's kubelet port", async (t) => {
  const cases: { name: string; status: Node["status"]; want: { host: string; port: number } }[] = [
    {
      name: "InternalIP before Hostname and ExternalIP",
      status: {
        addresses: [
          { type: "Hostname", address: "edge-1" },
          { type: "ExternalIP", address: "203.0.113.5" },
          { type: "InternalIP", address: "10.0.0.5" },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      },
      want: { host: "10.0.0.5", port: 10250 },
    },
    {
      name: "ExternalIP, then Hostname",
      status: {
        addresses: [
          { type: "Hostname", address: "edge-1" },
          { type: "ExternalIP", address: "203.0.113.5" },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 11250 } },
      },
      want: { host: "203.0.113.5", port: 11250 },
    },
    {
      name: "Hostname only, no daemon endpoints: the default port",
      status: { addresses: [{ type: "Hostname", address: "edge-1" }] },
      want: { host: "edge-1", port: 10250 },
    },
    {
      name: "port 0 means the default",
      status: {
        addresses: [{ type: "InternalIP", address: "fd00::5" }],
        daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
      },
      want: { host: "fd00::5", port: 10250 },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(kubeletEndpoint(node(c.status)), c.want);
    });
  }
  await t.step("no usable address: upstream's message", () => {
    assert.throws(
      () => kubeletEndpoint(node({ addresses: [{ type: "InternalDNS", address: "n1.local" }] })),
      (err: unknown) =>
        err instanceof KubeletAddressError &&
        err.message === "no preferred addresses found; known addresses: [{InternalDNS n1.local}]",
    );
    assert.throws(
      () => kubeletEndpoint(node(undefined)),
      /^KubeletAddressError: no preferred addresses found; known addresses: \[\]$/,
    );
  });
});

Deno.test("kubeletAuthority() brackets IPv6 addresses", () => {
  assert.equal(kubeletAuthority({ host: "10.0.0.5", port: 10250 }), "10.0.0.5:10250");
  assert.equal(kubeletAuthority({ host: "fd00::5", port: 10250 }), "[fd00::5]:10250");
  assert.equal(kubeletAuthority({ host: "edge-1", port: 1 }), "edge-1:1");
});

/** A TLS server like a kubelet's, recording the client certificate's subject. */
async function fakeKubelet(certPem: string, keyPem: string) {
  const subjects: string[] = [];
  const server = tls.createServer(
    { cert: certPem, key: keyPem, requestCert: true, rejectUnauthorized: false },
    (socket: TLSSocket) => {
      const peer = socket.getPeerCertificate();
      subjects.push(`${peer.subject?.O}/${peer.subject?.CN}`);
      socket.end("hello");
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    subjects,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readAll(socket: TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    socket.on("data", (c: Uint8Array) => text += new TextDecoder().decode(c));
    socket.once("end", () => resolve(text));
    socket.once("error", reject);
  });
}

Deno.test("dialKubelet() connects with the API server's kubelet client certificate", async (t) => {
  await using pki = await createTestPki();
  const kubelet = await fakeKubelet(pki.serving.certPem, pki.serving.keyPem);
  const credentials = { certPem: pki.kubeletClient.certPem, keyPem: pki.kubeletClient.keyPem };
  const endpoint = { host: "127.0.0.1", port: kubelet.port };
  try {
    await t.step("without a CA the serving certificate is not verified", async () => {
      const socket = await dialKubelet(endpoint, { credentials });
      assert.equal(await readAll(socket), "hello");
      assert.deepEqual(kubelet.subjects, ["system:masters/kube-apiserver-kubelet-client"]);
    });
    await t.step("with the right CA", async () => {
      const socket = await dialKubelet(endpoint, {
        credentials: { ...credentials, caPem: pki.ca.certPem },
      });
      assert.equal(await readAll(socket), "hello");
    });
    await t.step("with another CA: a TLS error", async () => {
      const other = await createCa({ commonName: "other", now: new Date() });
      await assert.rejects(
        dialKubelet(endpoint, { credentials: { ...credentials, caPem: other.certPem } }),
        (err: unknown) =>
          err instanceof KubeletDialError && err.message.startsWith("error dialing backend: "),
      );
    });
    await t.step("an aborted signal rejects with its reason", async () => {
      const reason = new Error("gone");
      await assert.rejects(
        dialKubelet(endpoint, { credentials, signal: AbortSignal.abort(reason) }),
        (err: unknown) => err === reason,
      );
    });
    await t.step("aborting after the dial destroys the socket", async () => {
      const abort = new AbortController();
      const socket = await dialKubelet(endpoint, { credentials, signal: abort.signal });
      const closed = new Promise((resolve) => socket.once("close", resolve));
      abort.abort();
      await closed;
      assert.equal(socket.destroyed, true);
    });
  } finally {
    await kubelet.close();
  }
});

Deno.test("dialKubelet() fails as upstream says when the kubelet is unreachable", async (t) => {
  await using pki = await createTestPki();
  const credentials = { certPem: pki.kubeletClient.certPem, keyPem: pki.kubeletClient.keyPem };
  await t.step("connection refused", async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await assert.rejects(
      dialKubelet({ host: "127.0.0.1", port }, { credentials }),
      (err: unknown) =>
        err instanceof KubeletDialError &&
        err.message ===
          `error dialing backend: dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
  });
  await t.step("no handshake in time", async () => {
    // Reads (so it sees the client go away) but never answers the handshake.
    const silent = net.createServer((s) => s.resume());
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      await assert.rejects(
        dialKubelet({ host: "127.0.0.1", port }, { credentials, timeoutMs: 100 }),
        (err: unknown) =>
          err instanceof KubeletDialError &&
          err.message === `error dialing backend: dial tcp 127.0.0.1:${port}: i/o timeout`,
      );
    } finally {
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
