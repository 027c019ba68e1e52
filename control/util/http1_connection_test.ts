import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import { RecordingLogger } from "./logger.ts";
import {
  framedChunk,
  Http1Connection,
  type Http1PushSink,
  type Http1Socket,
  type Http1Streaming,
  type Http1TakenSocket,
  takeOverSocket,
} from "./http1_connection.ts";

/** Responses marked streamed or push, as the API's render helpers mark them. */
const streamed = new WeakSet<Response>();
const pushed = new WeakMap<Response, (sink: Http1PushSink) => () => void>();
const streaming: Http1Streaming = {
  isStreamed: (r) => streamed.has(r),
  pushSource: (r) => pushed.get(r),
};

function streamedResponse(body: ReadableStream<Uint8Array>, init: ResponseInit): Response {
  const r = new Response(body, init);
  streamed.add(r);
  return r;
}

function pushResponse(source: (sink: Http1PushSink) => () => void, init: ResponseInit): Response {
  const r = streamedResponse(new ReadableStream(), init);
  pushed.set(r, source);
  return r;
}

/** An in-memory socket: what the connection writes is collected; tests feed it bytes. */
class FakeSocket extends EventEmitter {
  written: Uint8Array[] = [];
  ended = false;
  destroyed = false;
  timeoutMs = -1;
  writableLength = 0;
  write(data: Uint8Array): boolean {
    this.written.push(data);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit("close");
  }
  paused = false;
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  timeoutCalls = 0;
  setTimeout(ms: number): void {
    this.timeoutMs = ms;
    this.timeoutCalls++;
  }
  feed(text: string | Uint8Array): void {
    this.emit(
      "data",
      Buffer.from(typeof text === "string" ? new TextEncoder().encode(text) : text),
    );
  }
  text(): string {
    return new TextDecoder().decode(Buffer.concat(this.written));
  }
}

function connect(handle: (r: Request) => Promise<Response>, options = {}) {
  const socket = new FakeSocket();
  const seen: Request[] = [];
  new Http1Connection(socket as unknown as Http1Socket, {
    handle: (r) => {
      seen.push(r);
      return handle(r);
    },
    logger: new RecordingLogger(),
    origin: "https://127.0.0.1:6443",
    streaming,
    ...options,
  });
  return { socket, seen };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
}

Deno.test("Http1Connection answers keep-alive requests in order with Content-Length", async () => {
  const { socket, seen } = connect((r) =>
    Promise.resolve(new Response(`hi ${new URL(r.url).pathname}`))
  );
  socket.feed("GET /a HTTP/1.1\r\nHost: h:1\r\n\r\nGET /b HTTP/1.1\r\nHost: h:1\r\n\r\n");
  await settle();
  const text = socket.text();
  assert.match(text, /^HTTP\/1.1 200 OK\r\n/);
  assert.match(text, /content-length: 5\r\n/);
  assert.ok(text.indexOf("hi /a") < text.indexOf("hi /b"), "in order");
  assert.deepEqual(seen.map((r) => r.url), ["https://h:1/a", "https://h:1/b"]);
  assert.equal(socket.ended, false, "kept alive");
});

Deno.test("Http1Connection reads Content-Length and chunked bodies split across packets", async () => {
  const bodies: string[] = [];
  const { socket } = connect(async (r) => {
    bodies.push(await r.text());
    return new Response(null, { status: 204 });
  });
  socket.feed("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello");
  await settle();
  assert.deepEqual(bodies, []);
  socket.feed(" world");
  await settle();
  socket.feed("POST /y HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
  await settle();
  socket.feed("lo\r\n6\r\n world\r\n0\r\n\r\n");
  await settle();
  assert.deepEqual(bodies, ["hello world", "hello world"]);
  assert.doesNotMatch(socket.text(), /content-length/, "204 has no length");
});

Deno.test("Http1Connection refuses oversized bodies and heads and malformed requests, then closes", async (t) => {
  const cases: [string, number][] = [
    ["POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n", 413],
    ["GET / HTTP/1.1\r\nX: " + "a".repeat(70_000) + "\r\n\r\n", 431],
    ["GARBAGE\r\n\r\n", 400],
    ["GET / HTTP/2.0\r\n\r\n", 505],
    ["GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501],
  ];
  for (const [input, status] of cases) {
    await t.step(String(status), async () => {
      const { socket, seen } = connect(() => Promise.resolve(new Response("x")), {
        maxBodyBytes: 10,
      });
      socket.feed(input);
      await settle();
      assert.match(socket.text(), new RegExp(`^HTTP/1.1 ${status} `));
      assert.equal(socket.ended, true);
      assert.equal(seen.length, 0);
    });
  }
});

Deno.test("Http1Connection answers Expect: 100-continue before the body arrives", async () => {
  const { socket } = connect(async (r) => new Response(await r.text()));
  socket.feed("PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  await settle();
  assert.equal(socket.text(), "HTTP/1.1 100 Continue\r\n\r\n");
  socket.feed("ok");
  await settle();
  assert.match(socket.text(), /HTTP\/1.1 200 OK[\s\S]*\r\n\r\nok$/);
});

Deno.test("Http1Connection streams chunked responses, and push responses write shared frames", async () => {
  const { socket } = connect(() =>
    Promise.resolve(
      streamedResponse(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode("ab"));
            // An empty chunk is skipped: framed, it would end the body.
            c.enqueue(new Uint8Array(0));
            c.enqueue(new TextEncoder().encode("cde"));
            c.close();
          },
        }),
        { headers: { "content-type": "application/json" } },
      ),
    )
  );
  socket.feed("GET /watch HTTP/1.1\r\nHost: h\r\n\r\n");
  await settle();
  assert.match(socket.text(), /transfer-encoding: chunked\r\n/);
  assert.match(socket.text(), /\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n$/);

  const line = new TextEncoder().encode('{"type":"ADDED"}\n');
  assert.equal(framedChunk(line), framedChunk(line), "one framing per event");
  let stopped = false;
  const push = connect(() =>
    Promise.resolve(pushResponse((sink) => {
      sink.write(line);
      sink.write(line);
      return () => stopped = true;
    }, {}))
  );
  push.socket.feed("GET /watch HTTP/1.1\r\nHost: h\r\n\r\n");
  await settle();
  assert.equal(push.socket.written.filter((w) => w === framedChunk(line)).length, 2);
  assert.equal(push.socket.timeoutMs, 0, "no timer for each write to refresh while streaming");
  push.socket.destroy();
  await settle();
  assert.equal(stopped, true, "a client going away stops the producer");
});

Deno.test("Http1Connection aborts the request's signal when the client goes away", async () => {
  let signal: AbortSignal | undefined;
  const { socket } = connect((r) => {
    signal = r.signal;
    return new Promise(() => {});
  });
  socket.feed("GET /watch HTTP/1.1\r\nHost: h\r\n\r\n");
  await settle();
  assert.equal(signal?.aborted, false);
  socket.emit("timeout");
  assert.equal(socket.destroyed, false, "a request in flight is not idle");
  assert.equal(signal?.aborted, false);
  socket.destroy();
  assert.equal(signal?.aborted, true);
});

Deno.test("Http1Connection times out idle connections and slow heads, not requests in flight", async (t) => {
  await t.step("idle between requests", async () => {
    const { socket } = connect(() => Promise.resolve(new Response("x")), {
      idleTimeoutMs: 1000,
      headerTimeoutMs: 50,
    });
    assert.equal(socket.timeoutMs, 1000);
    const calls = socket.timeoutCalls;
    socket.feed("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    await settle();
    assert.match(socket.text(), /\r\n\r\nxHTTP\/1.1 200 OK[^]*\r\n\r\nx$/);
    assert.equal(socket.timeoutMs, 1000, "the idle timeout again after a request");
    assert.equal(socket.timeoutCalls, calls, "whole heads leave the timer as it is");
    socket.emit("timeout");
    assert.equal(socket.destroyed, true);
  });
  await t.step("a head arriving piece by piece", () => {
    const { socket } = connect(() => Promise.resolve(new Response("x")), {
      idleTimeoutMs: 1000,
      headerTimeoutMs: 50,
    });
    socket.feed("GET /a HTTP/1.1\r\nHo");
    assert.equal(socket.timeoutMs, 50, "the header deadline while a head is incomplete");
    socket.emit("timeout");
    assert.equal(socket.destroyed, true);
  });
  await t.step("a long request, then idle", async () => {
    let answer!: (r: Response) => void;
    const { socket } = connect(() => new Promise<Response>((r) => answer = r), {
      idleTimeoutMs: 1000,
      headerTimeoutMs: 50,
    });
    socket.feed("GET /watch HTTP/1.1\r\n\r\n");
    await settle();
    socket.timeoutMs = -1;
    socket.emit("timeout");
    assert.equal(socket.destroyed, false, "ignored while the request is in flight");
    answer(new Response("done"));
    await settle();
    assert.equal(socket.timeoutMs, 1000, "the fired timer is started again");
    assert.match(socket.text(), /done$/);
    socket.emit("timeout");
    assert.equal(socket.destroyed, true);
  });
});

Deno.test("Http1Connection closes after Connection: close and for HTTP/1.0", async () => {
  for (const req of ["GET / HTTP/1.1\r\nConnection: close\r\n\r\n", "GET / HTTP/1.0\r\n\r\n"]) {
    const { socket } = connect(() => Promise.resolve(new Response("x")));
    socket.feed(req);
    await settle();
    assert.match(socket.text(), /connection: close\r\n/);
    assert.equal(socket.ended, true);
  }
});

Deno.test("Http1Connection keeps each Warning header on its own line", async () => {
  const { socket } = connect(() => {
    const h = new Headers();
    h.append("warning", '299 - "unknown field \\"a\\""');
    h.append("warning", '299 - "unknown field \\"b\\""');
    return Promise.resolve(new Response("{}", { headers: h }));
  });
  socket.feed("GET / HTTP/1.1\r\n\r\n");
  await settle();
  assert.equal(socket.text().match(/^warning: /gm)?.length, 2);
});

Deno.test("Http1Connection trims only spaces and tabs around header values", async () => {
  const { socket, seen } = connect(() => Promise.resolve(new Response("ok")));
  const head = "GET /a HTTP/1.1\r\nHost: h:1\r\nAuthorization: \t Bearer abc\xa0 \t\r\n\r\n";
  socket.feed(Uint8Array.from(head, (c) => c.charCodeAt(0)));
  await settle();
  assert.equal(seen.length, 1);
  // A 0xA0 byte is part of the value (String.prototype.trim would have dropped it).
  assert.equal(seen[0]!.headers.get("authorization"), "Bearer abc\xa0");
});

Deno.test("takeOverSocket() hands an upgrade's socket to its handler with the bytes read past the head", async () => {
  let taken: Http1TakenSocket | null = null;
  let signal: AbortSignal | undefined;
  const { socket, seen } = connect((r) => {
    signal = r.signal;
    taken = takeOverSocket(r.signal);
    assert.equal(takeOverSocket(r.signal), null, "only once");
    taken!.socket.write(new TextEncoder().encode("HTTP/1.1 101 Switching Protocols\r\n\r\n"));
    // What the handler returns is not written: the socket is no longer HTTP.
    return Promise.resolve(new Response("ignored"));
  });
  socket.feed(
    "POST /exec HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n\x00\x03",
  );
  await settle();
  assert.ok(taken);
  const { socket: raw, buffered } = taken as Http1TakenSocket;
  assert.equal(raw, socket as unknown as Http1Socket);
  assert.deepEqual([...buffered], [0x00, 0x03]);
  assert.equal(socket.paused, true, "paused until the new owner listens");
  assert.equal(socket.text(), "HTTP/1.1 101 Switching Protocols\r\n\r\n");
  assert.equal(socket.ended, false);
  assert.equal(socket.timeoutMs, 0, "no idle timeout on a taken socket");

  // The connection neither parses nor times out what follows.
  const after: Uint8Array[] = [];
  raw.on("data", (chunk) => after.push(chunk));
  socket.feed("GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
  socket.emit("timeout");
  await settle();
  assert.equal(seen.length, 1);
  assert.equal(socket.destroyed, false);
  assert.equal(new TextDecoder().decode(after[0]), "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
  assert.equal(signal?.aborted, false);
  socket.destroy();
  assert.equal(signal?.aborted, true, "the signal follows the socket");
});

Deno.test("takeOverSocket() is null outside a connection and once the response is written", async (t) => {
  await t.step("in-process request", () => {
    assert.equal(takeOverSocket(new Request("https://h/").signal), null);
  });
  await t.step("after the response", async () => {
    let signal: AbortSignal | undefined;
    const { socket } = connect((r) => {
      signal = r.signal;
      return Promise.resolve(new Response("ok"));
    });
    socket.feed("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
    await settle();
    assert.equal(takeOverSocket(signal!), null);
    socket.feed("GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    await settle();
    assert.equal(socket.text().match(/HTTP\/1.1 200 OK/g)?.length, 2, "still HTTP");
  });
  await t.step("a handler that answers without taking over keeps the connection HTTP", async () => {
    const { socket } = connect((r) =>
      Promise.resolve(
        new URL(r.url).pathname === "/exec"
          ? new Response("upgrade refused", { status: 400 })
          : new Response("ok"),
      )
    );
    socket.feed("GET /exec HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n");
    socket.feed("GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    await settle();
    assert.match(socket.text(), /^HTTP\/1.1 400 Bad Request[\s\S]*HTTP\/1.1 200 OK/);
  });
});

/** Streams the bodies of requests under `/up`, as the API streams the proxy subresources'. */
const streamingUploads: Http1Streaming = {
  ...streaming,
  streamsRequestBody: (_method, target) => target.startsWith("/up"),
};

Deno.test("Http1Connection streams the bodies its streaming options name, without a size limit", async (t) => {
  await t.step("a Content-Length body arrives piece by piece; the connection goes on", async () => {
    const pieces: string[] = [];
    const { socket, seen } = connect(async (r) => {
      if (!r.body) return new Response("no body");
      for await (const chunk of r.body) pieces.push(new TextDecoder().decode(chunk));
      return new Response(`got ${pieces.join("").length}`);
    }, { streaming: streamingUploads, maxBodyBytes: 4 });
    socket.feed("PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\nhello");
    await settle();
    assert.deepEqual(pieces, ["hello"], "the handler reads before the body is complete");
    assert.equal(socket.text(), "");
    socket.feed(" world!GET /up HTTP/1.1\r\nHost: h\r\n\r\n");
    await settle();
    assert.deepEqual(pieces, ["hello", " world!"]);
    const text = socket.text();
    assert.match(text, /\r\n\r\ngot 12HTTP\/1.1 200 OK/);
    assert.match(text, /no body$/);
    assert.equal(seen.length, 2);
    assert.equal(socket.ended, false, "kept alive");
  });
  await t.step("a chunked body is decoded, then the connection closes", async () => {
    const { socket } = connect(async (r) => new Response(await r.text()), {
      streaming: streamingUploads,
    });
    socket.feed("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
    await settle();
    socket.feed("2\r\nde\r\n0\r\n\r\n");
    await settle();
    assert.match(socket.text(), /\r\n\r\nabcde$/);
    assert.equal(socket.ended, true);
  });
  await t.step("a body its handler does not read: answered, then closed", async () => {
    const { socket } = connect(() => Promise.resolve(new Response("refused", { status: 403 })), {
      streaming: streamingUploads,
    });
    socket.feed("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\npartial");
    await settle();
    assert.match(socket.text(), /^HTTP\/1.1 403 Forbidden\r\n[\s\S]*refused$/);
    assert.equal(socket.ended, true);
  });
  await t.step("a client going away mid-body errors the body's stream", async () => {
    let failure: unknown = null;
    const { socket } = connect(async (r) => {
      try {
        await r.text();
      } catch (err) {
        failure = err;
      }
      return new Response("x");
    }, { streaming: streamingUploads });
    socket.feed("PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
    await settle();
    socket.destroy();
    await settle();
    assert.ok(failure !== null, "the body failed");
  });
  await t.step("other paths are still read whole and limited", async () => {
    const { socket, seen } = connect(() => Promise.resolve(new Response("x")), {
      streaming: streamingUploads,
      maxBodyBytes: 4,
    });
    socket.feed("POST /other HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n");
    await settle();
    assert.match(socket.text(), /^HTTP\/1.1 413 /);
    assert.equal(seen.length, 0);
  });
});

Deno.test("Http1Connection writes a whole response from its text, as it writes the Response", async (t) => {
  const whole = new WeakMap<Response, { headerLines: string; body: string }>();
  const make = (body: string, status: number) => {
    const headers = { "cache-control": "no-cache, private", "content-type": "application/json" };
    const r = new Response(body, { status, headers });
    whole.set(r, {
      headerLines: "cache-control: no-cache, private\r\ncontent-type: application/json\r\n",
      body,
    });
    return r;
  };
  const written = async (body: string, o: { status: number; hook: boolean; request: string }) => {
    const { socket } = connect(() => Promise.resolve(make(body, o.status)), {
      streaming: o.hook ? { ...streaming, wholeBody: (r: Response) => whole.get(r) } : streaming,
    });
    socket.feed(o.request);
    await settle();
    return { text: socket.text().replace(/\r\ndate: [^\r]*/, ""), writes: socket.written.length };
  };
  const cases = [
    { name: "ASCII", body: '{"kind":"Pod"}', status: 200, request: "GET / HTTP/1.1\r\n\r\n" },
    { name: "UTF-8", body: '{"note":"héllo ✓"}', status: 201, request: "GET / HTTP/1.1\r\n\r\n" },
    {
      name: "closing",
      body: "{}",
      status: 404,
      request: "GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
    },
    { name: "HEAD", body: "{}", status: 200, request: "HEAD / HTTP/1.1\r\n\r\n" },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const fast = await written(c.body, { ...c, hook: true });
      const slow = await written(c.body, { ...c, hook: false });
      assert.equal(fast.text, slow.text);
      assert.equal(fast.writes, 1, "one write for head and body");
    });
  }
});

Deno.test("Http1Connection keeps a response's own Date header", async () => {
  const { socket } = connect(() =>
    Promise.resolve(new Response("x", { headers: { date: "Tue, 01 Dec 2026 20:00:00 GMT" } }))
  );
  socket.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  await settle();
  const dates = socket.text().split("\r\n").filter((l) => /^date:/i.test(l));
  assert.deepEqual(dates, ["date: Tue, 01 Dec 2026 20:00:00 GMT"]);
});
