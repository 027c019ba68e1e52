import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { gzipSync } from "node:zlib";
import { RecordingLogger } from "../../util/logger.ts";
import type { ApiError } from "../errors.ts";
import { BackendDialError } from "./backend_connection.ts";
import {
  isUpgradeRequest,
  type ProxyRequest,
  proxyRequest,
  type ProxyTarget,
} from "./proxy_handler.ts";
import {
  headerOf,
  plain,
  socketPair,
  startTestBackend,
  type TestBackend,
} from "./_test_backend.ts";

const PREFIX = "/api/v1/namespaces/default/pods/web:8080/proxy";

const TARGET: ProxyTarget = {
  scheme: "http",
  host: "10.42.0.5:8080",
  hostname: "10.42.0.5",
  port: "8080",
  transport: "proxy",
  path: "/x/y",
};

function request(
  overrides: Partial<Omit<ProxyRequest, "headers">> & { headers?: Record<string, string> } = {},
): ProxyRequest {
  const { headers, ...rest } = overrides;
  return {
    method: "GET",
    headers: new Headers(headers ?? { host: "127.0.0.1:6443" }),
    path: `${PREFIX}/x/y`,
    rawQuery: "",
    body: () => Promise.resolve(null),
    signal: new AbortController().signal,
    ...rest,
  };
}

function options(backend: TestBackend, target: Partial<ProxyTarget> = {}) {
  return { target: { ...TARGET, ...target }, dial: backend.dial, logger: new RecordingLogger() };
}

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    return err as ApiError;
  }
  throw new Error("Expected a failure");
}

Deno.test("proxyRequest() passes a request through with upstream's headers", async () => {
  await using backend = await startTestBackend();
  backend.respond = plain("200 OK", {
    headers: [
      ["Content-Type", "text/plain"],
      ["Set-Cookie", "a=1"],
      ["Set-Cookie", "b=2"],
      ["Access-Control-Allow-Origin", "*"],
      ["Keep-Alive", "timeout=5"],
      ["Connection", "X-Hop"],
      ["X-Hop", "dropped"],
    ],
    body: "hello",
  });
  const res = await proxyRequest(
    request({
      rawQuery: "a=1&b=two%20words",
      headers: {
        host: "127.0.0.1:6443",
        authorization: "Bearer secret",
        "impersonate-user": "alice",
        "impersonate-extra-scopes": "x",
        connection: "keep-alive, X-Private",
        "x-private": "dropped",
        "proxy-authorization": "Basic x",
        te: "trailers, deflate",
        "x-forwarded-for": "192.0.2.1",
        "user-agent": "kubectl/v1.33.1",
        "x-custom": "kept",
      },
      remoteAddress: "10.1.1.1",
    }),
    options(backend),
  );
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "hello");
  assert.equal(res.headers.get("content-type"), "text/plain");
  assert.deepEqual(res.headers.getSetCookie(), ["a=1", "b=2"]);
  for (const gone of ["access-control-allow-origin", "keep-alive", "connection", "x-hop"]) {
    assert.equal(res.headers.get(gone), null, gone);
  }
  assert.deepEqual(backend.dialed, [{ hostname: "10.42.0.5", port: "8080", tls: false }]);
  const req = backend.requests[0]!;
  assert.equal(req.line, "GET /x/y?a=1&b=two%20words HTTP/1.1");
  assert.deepEqual(req.headers[0], ["Host", "127.0.0.1:6443"]);
  const names = req.headers.map(([n]) => n.toLowerCase());
  for (
    const gone of [
      "authorization",
      "impersonate-user",
      "impersonate-extra-scopes",
      "x-private",
      "proxy-authorization",
      "connection",
      "content-length",
    ]
  ) {
    assert.ok(!names.includes(gone), gone);
  }
  assert.equal(headerOf(req, "te"), "trailers");
  assert.equal(headerOf(req, "x-forwarded-for"), "192.0.2.1, 10.1.1.1");
  assert.equal(headerOf(req, "x-forwarded-uri"), `${PREFIX}/x/y`);
  assert.equal(headerOf(req, "x-forwarded-host"), undefined);
  assert.equal(headerOf(req, "accept-encoding"), "gzip");
  assert.equal(headerOf(req, "user-agent"), "kubectl/v1.33.1");
  assert.ok(req.headers.some(([n, v]) => n === "X-Custom" && v === "kept"), "Go's header names");
});

Deno.test("proxyRequest() redirects an empty path and keeps trailing slashes", async (t) => {
  await using backend = await startTestBackend();
  await t.step("GET and HEAD of no path: 301 to the path with a slash", async () => {
    for (const method of ["GET", "HEAD"]) {
      const res = await proxyRequest(
        request({ method, path: PREFIX, rawQuery: "a=1" }),
        options(backend, { path: "" }),
      );
      assert.equal(res.status, 301);
      assert.equal(res.headers.get("location"), `${PREFIX}/?a=1`);
    }
    assert.equal(backend.requests.length, 0);
  });
  await t.step("a POST of no path goes to /", async () => {
    const res = await proxyRequest(
      request({ method: "POST", path: PREFIX }),
      options(backend, { path: "" }),
    );
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const req = backend.requests.at(-1)!;
    assert.equal(req.line, "POST / HTTP/1.1");
    assert.equal(headerOf(req, "content-length"), "0");
    assert.equal(headerOf(req, "x-forwarded-uri"), PREFIX);
  });
  await t.step("the root and a trailing slash", async () => {
    const res = await proxyRequest(
      request({ path: `${PREFIX}/docs/` }),
      options(backend, { path: "/docs/" }),
    );
    await res.body?.cancel();
    const req = backend.requests.at(-1)!;
    assert.equal(req.line, "GET /docs/ HTTP/1.1");
    assert.equal(headerOf(req, "x-forwarded-uri"), `${PREFIX}/docs/`);
  });
});

Deno.test("proxyRequest() streams bodies both ways", async (t) => {
  await using backend = await startTestBackend();
  await t.step("a request stream without a length goes chunked", async () => {
    const parts = ["a", "b", "c"];
    const res = await proxyRequest(
      request({
        method: "PUT",
        body: () =>
          Promise.resolve(
            new ReadableStream<Uint8Array>({
              pull(c) {
                const p = parts.shift();
                if (p === undefined) c.close();
                else c.enqueue(new TextEncoder().encode(p));
              },
            }),
          ),
      }),
      options(backend),
    );
    await res.body?.cancel();
    const req = backend.requests.at(-1)!;
    assert.equal(headerOf(req, "transfer-encoding"), "chunked");
    assert.equal(new TextDecoder().decode(req.body), "abc");
  });
  await t.step("a request stream with a Content-Length keeps it", async () => {
    const res = await proxyRequest(
      request({
        method: "POST",
        headers: { host: "h", "content-length": "3" },
        body: () => Promise.resolve(new Blob(["xyz"]).stream()),
      }),
      options(backend),
    );
    await res.body?.cancel();
    const req = backend.requests.at(-1)!;
    assert.equal(headerOf(req, "content-length"), "3");
    assert.equal(new TextDecoder().decode(req.body), "xyz");
  });
  await t.step("a chunked answer arrives piece by piece", async () => {
    let finish: () => void = () => {};
    backend.respond = (_req, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n");
      finish = () => socket.end("6\r\nsecond\r\n0\r\n\r\n");
    };
    const res = await proxyRequest(request(), options(backend));
    const reader = res.body!.getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "first");
    finish();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "second");
    assert.equal((await reader.read()).done, true);
  });
  await t.step("a body sent after the head, before the proxy reads on, is not lost", async () => {
    backend.respond = (_req, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n");
      setTimeout(() => socket.end("later"), 5);
    };
    const res = await proxyRequest(request(), options(backend));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(await res.text(), "later");
  });
  await t.step("HEAD answers have no body", async () => {
    backend.respond = (_req, s) => s.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    const res = await proxyRequest(request({ method: "HEAD" }), options(backend));
    assert.equal(res.status, 200);
    assert.equal(res.body, null);
    assert.equal(headerOf(backend.requests.at(-1)!, "accept-encoding"), undefined);
  });
});

Deno.test("proxyRequest() rewrites Location headers and HTML links", async (t) => {
  await using backend = await startTestBackend();
  await t.step("a redirect to the backend's own host", async () => {
    backend.respond = plain("302 Found", {
      headers: [["Location", "http://10.42.0.5:8080/login?next=%2F"]],
    });
    const res = await proxyRequest(request(), options(backend));
    await res.body?.cancel();
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), `${PREFIX}/login?next=%2F`);
  });
  await t.step("a Location that does not parse is a 500", async () => {
    backend.respond = plain("302 Found", { headers: [["Location", "/%zz"]] });
    const err = await apiError(proxyRequest(request(), options(backend)));
    assert.equal(err.code, 500);
    assert.equal(
      err.message,
      'Internal error occurred: error trying to parse Location header: parse "/%zz": invalid URL escape "%zz"',
    );
  });
  const page =
    `<html><a href="/docs">d</a><img src='/i.png'><a href="http://x.example/">x</a></html>`;
  const rewritten =
    `<html><a href="${PREFIX}/docs">d</a><img src="${PREFIX}/i.png"><a href="http://x.example/">x</a></html>`;
  await t.step("an HTML page", async () => {
    backend.respond = plain("200 OK", {
      headers: [["Content-Type", "text/html; charset=utf-8"]],
      body: page,
    });
    const res = await proxyRequest(request(), options(backend));
    assert.equal(await res.text(), rewritten);
  });
  await t.step("a gzipped HTML page the client asked gzip for stays gzipped", async () => {
    backend.respond = plain("200 OK", {
      headers: [["Content-Type", "text/html"], ["Content-Encoding", "gzip"]],
      body: new Uint8Array(gzipSync(Buffer.from(page))),
    });
    const res = await proxyRequest(
      request({ headers: { host: "127.0.0.1:6443", "accept-encoding": "gzip" } }),
      options(backend),
    );
    assert.equal(res.headers.get("content-encoding"), "gzip");
    const body = new Uint8Array(await res.arrayBuffer());
    const plainText = await new Response(
      new Blob([body]).stream().pipeThrough(new DecompressionStream("gzip")),
    ).text();
    assert.equal(plainText, rewritten);
  });
  await t.step("gzip the proxy asked for is undone", async () => {
    backend.respond = plain("200 OK", {
      headers: [["Content-Type", "application/json"], ["Content-Encoding", "gzip"]],
      body: new Uint8Array(gzipSync(Buffer.from('{"a":1}'))),
    });
    const res = await proxyRequest(request(), options(backend));
    assert.equal(res.headers.get("content-encoding"), null);
    assert.equal(await res.text(), '{"a":1}');
  });
  await t.step("a page in an encoding the proxy cannot read passes as it is", async () => {
    backend.respond = plain("200 OK", {
      headers: [["Content-Type", "text/html"], ["Content-Encoding", "br"]],
      body: "opaque",
    });
    const res = await proxyRequest(
      request({ headers: { host: "h", "accept-encoding": "br" } }),
      options(backend),
    );
    assert.equal(await res.text(), "opaque");
  });
});

Deno.test("proxyRequest() answers 503 when the backend cannot be reached", async (t) => {
  await using backend = await startTestBackend();
  await t.step("a dial failure", async () => {
    const err = await apiError(proxyRequest(request(), {
      ...options(backend),
      dial: () =>
        Promise.reject(
          new BackendDialError("dial tcp 10.42.0.5:8080: connect: connection refused"),
        ),
    }));
    assert.equal(err.code, 503);
    assert.equal(err.reason, "ServiceUnavailable");
    assert.equal(
      err.message,
      "error trying to reach service: dial tcp 10.42.0.5:8080: connect: connection refused",
    );
  });
  await t.step("a backend closing without an answer", async () => {
    backend.respond = (_req, s) => s.destroy();
    const err = await apiError(proxyRequest(request(), options(backend)));
    assert.equal(err.code, 503);
    assert.equal(err.message, "error trying to reach service: EOF");
  });
});

Deno.test("proxyRequest() relays upgrades raw", async (t) => {
  await using backend = await startTestBackend();
  const upgradeHeaders = {
    host: "127.0.0.1:6443",
    connection: "Upgrade",
    upgrade: "websocket",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    authorization: "Bearer secret",
  };
  assert.equal(isUpgradeRequest(new Headers(upgradeHeaders)), true);
  await t.step("a 101 is relayed both ways", async () => {
    await using pair = await socketPair();
    backend.respond = (_req, socket) => {
      socket.write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nhi",
      );
      socket.on("data", (d: Buffer) => socket.write(`echo:${d}`));
    };
    const received: string[] = [];
    pair.client.on("data", (d: Buffer) => received.push(d.toString()));
    const res = await proxyRequest(
      request({ headers: upgradeHeaders, rawQuery: "dropped=1", remoteAddress: "10.1.1.1" }),
      {
        ...options(backend),
        takeOver: () => ({ socket: pair.server, buffered: new TextEncoder().encode("early") }),
      },
    );
    assert.equal(res.status, 101);
    pair.client.write("ping");
    for (let i = 0; i < 100 && !received.join("").includes("echo:ping"); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const all = received.join("");
    assert.match(all, /^HTTP\/1\.1 101 Switching Protocols\r\nUpgrade: websocket\r\n/);
    assert.match(all, /\r\n\r\nhi/);
    assert.match(all, /echo:early/);
    assert.match(all, /echo:ping/);
    const req = backend.requests.at(-1)!;
    assert.equal(req.line, "GET /x/y HTTP/1.1");
    assert.equal(headerOf(req, "upgrade"), "websocket");
    assert.equal(headerOf(req, "authorization"), undefined);
    assert.equal(headerOf(req, "x-forwarded-for"), "10.1.1.1");
    assert.equal(headerOf(req, "x-forwarded-uri"), undefined);
  });
  await t.step("a refusal of 400 or more is written back as it came", async () => {
    await using pair = await socketPair();
    backend.respond = plain("403 Forbidden", {
      headers: [["Content-Type", "text/plain"]],
      body: "no",
    });
    const closed = new Promise<string>((resolve) => {
      let text = "";
      pair.client.on("data", (d: Buffer) => text += d.toString());
      pair.client.on("end", () => resolve(text));
    });
    await proxyRequest(request({ headers: upgradeHeaders }), {
      ...options(backend),
      takeOver: () => ({ socket: pair.server, buffered: new Uint8Array() }),
    });
    const text = await closed;
    assert.match(text, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.match(text, /Content-Type: text\/plain\r\n/);
    assert.match(text, /\r\n\r\nno$/);
  });
  await t.step("any other answer is a 500", async () => {
    backend.respond = plain("200 OK", { body: "not upgrading" });
    const err = await apiError(
      proxyRequest(request({ headers: upgradeHeaders }), options(backend)),
    );
    assert.equal(err.code, 500);
    assert.equal(err.message, "invalid upgrade response: status code 200");
  });
  await t.step("a dial failure is a 500", async () => {
    const err = await apiError(proxyRequest(request({ headers: upgradeHeaders }), {
      ...options(backend),
      dial: () => Promise.reject(new BackendDialError("dial tcp 10.42.0.5:8080: i/o timeout")),
    }));
    assert.equal(err.code, 500);
    assert.equal(err.reason, "");
    assert.equal(err.message, "error dialing backend: dial tcp 10.42.0.5:8080: i/o timeout");
  });
  await t.step("a request whose socket cannot be taken over", async () => {
    backend.respond = (_req, s) => s.end("HTTP/1.1 101 Switching Protocols\r\n\r\n");
    const err = await apiError(proxyRequest(request({ headers: upgradeHeaders }), {
      ...options(backend),
      takeOver: () => null,
    }));
    assert.equal(err.message, "request connection cannot be hijacked");
  });
});
