import assert from "node:assert/strict";
import net from "node:net";
import type { TLSSocket } from "node:tls";
import { KubeletDialError } from "../kubelet_connection.ts";
import {
  BackendDialError,
  dialBackend,
  kubeletBackendDialer,
  readBackendResponse,
  writeBackendRequest,
} from "./backend_connection.ts";
import { headerOf, startTestBackend } from "./_test_backend.ts";

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

Deno.test("dialBackend() connects, and fails in Go's words", async (t) => {
  await t.step("a connection", async () => {
    await using backend = await startTestBackend();
    const socket = await dialBackend(
      { hostname: "127.0.0.1", port: String(backend.port), tls: false },
      { signal: new AbortController().signal },
    );
    assert.equal(socket.remotePort, backend.port);
    socket.destroy();
  });
  await t.step("a refused connection", async () => {
    const port = await freePort();
    await assert.rejects(
      () =>
        dialBackend({ hostname: "127.0.0.1", port: String(port), tls: false }, {
          signal: new AbortController().signal,
        }),
      (err: Error) => {
        assert.ok(err instanceof BackendDialError);
        assert.equal(err.message, `dial tcp 127.0.0.1:${port}: connect: connection refused`);
        return true;
      },
    );
  });
  await t.step("a port that is not a number, or too large", async () => {
    const signal = new AbortController().signal;
    await assert.rejects(
      () => dialBackend({ hostname: "10.42.0.5", port: "http", tls: false }, { signal }),
      { name: "BackendDialError", message: "dial tcp: lookup tcp/http: unknown port" },
    );
    await assert.rejects(
      () => dialBackend({ hostname: "10.42.0.5", port: "70000", tls: false }, { signal }),
      { message: "dial tcp: address 70000: invalid port" },
    );
  });
  await t.step("an aborted dial rejects with the signal's reason", async () => {
    const ac = new AbortController();
    ac.abort(new Error("client went away"));
    await assert.rejects(
      () => dialBackend({ hostname: "127.0.0.1", port: "1", tls: false }, { signal: ac.signal }),
      { message: "client went away" },
    );
  });
});

Deno.test("kubeletBackendDialer() dials with the kubelet client certificate, errors unprefixed", async () => {
  const seen: unknown[] = [];
  const dialer = kubeletBackendDialer({
    credentials: () => ({ certPem: "CERT", keyPem: "KEY" }),
    dial: (endpoint, options) => {
      seen.push([endpoint, options.credentials.certPem]);
      return Promise.reject(
        new KubeletDialError("error dialing backend: dial tcp 10.0.0.5:10250: i/o timeout"),
      );
    },
  });
  await assert.rejects(
    () =>
      dialer({ hostname: "10.0.0.5", port: "10250", tls: true }, {
        signal: new AbortController().signal,
      }),
    { name: "BackendDialError", message: "dial tcp 10.0.0.5:10250: i/o timeout" },
  );
  assert.deepEqual(seen, [[{ host: "10.0.0.5", port: 10250 }, "CERT"]]);
  const ok = kubeletBackendDialer({
    credentials: () => ({ certPem: "C", keyPem: "K" }),
    dial: () => Promise.resolve("socket" as unknown as TLSSocket),
  });
  assert.equal(
    await ok({ hostname: "h", port: "1", tls: true }, { signal: new AbortController().signal }),
    "socket",
  );
});

Deno.test("writeBackendRequest() frames bodies; readBackendResponse() reads the head", async (t) => {
  await using backend = await startTestBackend();
  const connect = () =>
    backend.dial({ hostname: "x", port: "1", tls: false }, {
      signal: new AbortController().signal,
    });
  await t.step("bytes go with a Content-Length", async () => {
    backend.respond = (_req, s) => s.end("HTTP/1.1 201 Created\r\nX-A: 1\r\nX-A: 2\r\n\r\nrest");
    const socket = await connect();
    const reading = readBackendResponse(socket);
    await writeBackendRequest(socket, {
      method: "POST",
      target: "/a?b=1",
      headers: [["Host", "api:6443"]],
      body: new TextEncoder().encode("hello"),
    });
    const res = await reading;
    socket.destroy();
    assert.equal(res.status, 201);
    assert.equal(res.statusText, "Created");
    assert.equal(res.headers.get("x-a"), "1, 2");
    assert.equal(new TextDecoder().decode(res.buffered), "rest");
    assert.match(new TextDecoder().decode(res.rawHead), /^HTTP\/1\.1 201 Created\r\n.*\r\n\r\n$/s);
    const req = backend.requests.at(-1)!;
    assert.equal(req.line, "POST /a?b=1 HTTP/1.1");
    assert.deepEqual(req.headers, [["Host", "api:6443"], ["Content-Length", "5"]]);
    assert.equal(new TextDecoder().decode(req.body), "hello");
  });
  await t.step("a stream of unknown length goes chunked; interim answers are skipped", async () => {
    backend.respond = (_req, s) =>
      s.end("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    const socket = await connect();
    const reading = readBackendResponse(socket);
    const parts = ["one ", "two"];
    await writeBackendRequest(socket, {
      method: "PUT",
      target: "/up",
      headers: [["Host", "h"]],
      body: new ReadableStream({
        pull(c) {
          const p = parts.shift();
          if (p === undefined) c.close();
          else c.enqueue(new TextEncoder().encode(p));
        },
      }),
    });
    assert.equal((await reading).status, 200);
    socket.destroy();
    const req = backend.requests.at(-1)!;
    assert.equal(headerOf(req, "transfer-encoding"), "chunked");
    assert.equal(new TextDecoder().decode(req.body), "one two");
  });
  await t.step("no body: Content-Length 0 only when asked", async () => {
    backend.respond = (_req, s) => s.end("HTTP/1.1 204 No Content\r\n\r\n");
    for (const emptyBodyLength of [true, false]) {
      const socket = await connect();
      const reading = readBackendResponse(socket);
      await writeBackendRequest(socket, {
        method: "DELETE",
        target: "/",
        headers: [["Host", "h"]],
        body: null,
        emptyBodyLength,
      });
      assert.equal((await reading).status, 204);
      socket.destroy();
      assert.equal(
        headerOf(backend.requests.at(-1)!, "content-length"),
        emptyBodyLength ? "0" : undefined,
      );
    }
  });
  await t.step("a backend closing first, or not speaking HTTP", async () => {
    for (
      const [answer, message] of [["", "EOF"], ["HTTP/1.1 2", "unexpected EOF"], [
        "SSH-2.0-OpenSSH\r\n\r\n",
        'malformed HTTP response "SSH-2.0-OpenSSH"',
      ]] as const
    ) {
      backend.respond = (_req, s) => s.end(answer);
      const socket = await connect();
      const reading = readBackendResponse(socket);
      await writeBackendRequest(socket, { method: "GET", target: "/", headers: [], body: null });
      await assert.rejects(reading, { message });
      socket.destroy();
    }
  });
});
