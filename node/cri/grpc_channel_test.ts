import assert from "node:assert/strict";
import { join } from "node:path";
import { FakeClock } from "../../control/util/clock.ts";
import { type FakeGrpcServer, type FakeStream, startFakeGrpcServer } from "./_fake_grpc_server.ts";
import { encodeFrame, FrameFlag, FrameType, H2Error } from "./_h2_frames.ts";
import { HpackEncoder } from "./_hpack.ts";
import { GrpcCallError, GrpcStatus } from "./errors.ts";
import { GrpcChannel, type GrpcChannelOptions } from "./grpc_channel.ts";

const text = new TextEncoder();
const PATH = "/test.v1.Echo/Call";

function channelTo(server: FakeGrpcServer, options: Partial<GrpcChannelOptions> = {}): GrpcChannel {
  return new GrpcChannel({ address: { socketPath: server.socketPath }, ...options });
}

async function failure(call: Promise<unknown>): Promise<GrpcCallError> {
  const err = await call.then(() => assert.fail("expected the call to fail"), (e) => e);
  assert.ok(err instanceof GrpcCallError, `expected a GrpcCallError, got ${err}`);
  return err;
}

/** Resolves once `check` holds, polling the event loop (not the clock). */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.fail(`timed out waiting for ${what}`);
}

Deno.test("GrpcChannel.unary() sends a gRPC request and returns the response message", async () => {
  const seen: { path: string; headers: Record<string, string | undefined>; body: string }[] = [];
  await using server = await startFakeGrpcServer(async (request, stream) => {
    seen.push({
      path: request.path,
      headers: Object.fromEntries(
        ["te", "content-type", "user-agent", "grpc-timeout", ":scheme", ":authority", ":method"]
          .map((name) => [name, request.header(name)]),
      ),
      body: new TextDecoder().decode(request.messages[0]),
    });
    await stream.ok(text.encode(`echo ${new TextDecoder().decode(request.messages[0])}`));
  });
  const clock = new FakeClock(1_000_000);
  using channel = channelTo(server, { userAgent: "skiff-test/1", clock });
  const reply = await channel.unary({ path: PATH, message: text.encode("hi"), timeoutMs: 1_500 });
  assert.equal(new TextDecoder().decode(reply), "echo hi");
  // Without a deadline, no grpc-timeout; an empty message is sent as an empty frame.
  assert.deepEqual(
    await channel.unary({ path: PATH, message: new Uint8Array(0) }),
    text.encode("echo "),
  );
  assert.deepEqual(seen, [
    {
      path: PATH,
      headers: {
        te: "trailers",
        "content-type": "application/grpc",
        "user-agent": "skiff-test/1",
        "grpc-timeout": "1500m",
        ":scheme": "http",
        ":authority": "localhost",
        ":method": "POST",
      },
      body: "hi",
    },
    {
      path: PATH,
      headers: {
        te: "trailers",
        "content-type": "application/grpc",
        "user-agent": "skiff-test/1",
        "grpc-timeout": undefined,
        ":scheme": "http",
        ":authority": "localhost",
        ":method": "POST",
      },
      body: "",
    },
  ]);
  // Both calls went over one connection, on streams 1 and 3.
  assert.equal(server.connections.length, 1);
  assert.deepEqual(server.connections[0]!.streams, [1, 3]);
});

Deno.test("GrpcChannel.unary() reports the status of error responses", async (t) => {
  const answers: Record<string, (stream: FakeStream) => void | Promise<void>> = {
    "/trailers-only": (s) => s.error(GrpcStatus.NOT_FOUND, 'container "abc" not found: 100% é'),
    "/no-message": (s) => s.error(GrpcStatus.UNIMPLEMENTED, ""),
    "/headers-then-trailers": (s) => {
      s.headers();
      s.trailers([["grpc-status", "13"], ["grpc-message", "boom%20%E2%9C%93"]]);
    },
    "/bad-percent": (s) =>
      s.headers([["grpc-status", "2"], ["grpc-message", "50%zz off %4"]], {
        endStream: true,
      }),
    "/http-404": (s) =>
      s.headers([[":status", "404"], ["content-type", "text/plain"]], {
        endStream: true,
      }),
    "/http-503-with-body": async (s) => {
      s.headers([[":status", "503"], ["content-type", "text/plain"]]);
      await s.data(text.encode("try later"));
    },
    "/html": async (s) => {
      s.headers([["content-type", "text/html"]]);
      await s.data(text.encode("<html>"), { endStream: true });
    },
    "/no-trailers": async (s) => {
      s.headers();
      await s.data(new Uint8Array([0, 0, 0, 0, 1, 42]), { endStream: true });
    },
    "/ok-without-message": (s) => s.headers([["grpc-status", "0"]], { endStream: true }),
    "/two-messages": async (s) => {
      s.headers();
      await s.data(new Uint8Array([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 2]));
      s.trailers([["grpc-status", "0"]]);
    },
    "/malformed-status": (s) => s.headers([["grpc-status", "x1"]], { endStream: true }),
    "/reset-cancel": (s) => s.reset(H2Error.CANCEL),
    "/reset-internal": (s) => s.reset(H2Error.INTERNAL_ERROR),
    "/reset-calm": (s) => s.reset(H2Error.ENHANCE_YOUR_CALM),
  };
  await using server = await startFakeGrpcServer((request, stream) =>
    answers[request.path]!(stream)
  );
  using channel = channelTo(server);
  const cases: [path: string, code: number, details: string][] = [
    ["/trailers-only", GrpcStatus.NOT_FOUND, 'container "abc" not found: 100% é'],
    ["/no-message", GrpcStatus.UNIMPLEMENTED, ""],
    ["/headers-then-trailers", GrpcStatus.INTERNAL, "boom ✓"],
    ["/bad-percent", GrpcStatus.UNKNOWN, "50%zz off %4"],
    [
      "/http-404",
      GrpcStatus.UNIMPLEMENTED,
      "unexpected HTTP status code received from server: 404",
    ],
    [
      "/http-503-with-body",
      GrpcStatus.UNAVAILABLE,
      "unexpected HTTP status code received from server: 503",
    ],
    ["/html", GrpcStatus.UNKNOWN, 'unexpected content-type "text/html" received from server'],
    ["/no-trailers", GrpcStatus.INTERNAL, "server closed the stream without sending trailers"],
    ["/ok-without-message", GrpcStatus.INTERNAL, "expected 1 response message, got 0"],
    ["/two-messages", GrpcStatus.INTERNAL, "expected 1 response message, got 2"],
    ["/malformed-status", GrpcStatus.UNKNOWN, 'the response has a malformed grpc-status "x1"'],
    ["/reset-cancel", GrpcStatus.CANCELLED, "the server reset the stream with CANCEL"],
    ["/reset-internal", GrpcStatus.INTERNAL, "the server reset the stream with INTERNAL_ERROR"],
    [
      "/reset-calm",
      GrpcStatus.RESOURCE_EXHAUSTED,
      "the server reset the stream with ENHANCE_YOUR_CALM",
    ],
  ];
  for (const [path, code, details] of cases) {
    await t.step(path, async () => {
      const err = await failure(channel.unary({ path, message: new Uint8Array(0) }));
      assert.equal(err.code, code);
      assert.equal(err.details, details);
    });
  }
  // One connection served all of them: stream errors do not end it.
  assert.equal(server.connections.length, 1);
});

Deno.test("GrpcChannel.unary() ends a call at its deadline and resets its stream", async () => {
  const held: FakeStream[] = [];
  await using server = await startFakeGrpcServer((_request, stream) => void held.push(stream));
  const clock = new FakeClock(5_000);
  using channel = channelTo(server, { clock });
  const call = failure(channel.unary({ path: PATH, message: new Uint8Array(1), timeoutMs: 200 }));
  await until("the request to arrive", () => held.length === 1);
  clock.advance(199);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(server.connections[0]!.resets.length, 0, "not before the deadline");
  clock.advance(1);
  const err = await call;
  assert.equal(err.code, GrpcStatus.DEADLINE_EXCEEDED);
  assert.equal(err.details, "context deadline exceeded");
  assert.equal(await held[0]!.resetByClient, H2Error.CANCEL);
  // A deadline already passed fails before anything is sent.
  const late = await failure(
    channel.unary({ path: PATH, message: new Uint8Array(0), timeoutMs: 0 }),
  );
  assert.equal(late.code, GrpcStatus.DEADLINE_EXCEEDED);
  assert.equal(server.connections[0]!.streams.length, 1);
});

Deno.test("GrpcChannel.unary() expires each call at its own deadline", async () => {
  const held: FakeStream[] = [];
  await using server = await startFakeGrpcServer((_request, stream) => void held.push(stream));
  const clock = new FakeClock(0);
  using channel = channelTo(server, { clock });
  const outcomes: string[] = [];
  const track = (name: string, timeoutMs: number) =>
    failure(channel.unary({ path: PATH, message: new Uint8Array(0), timeoutMs })).then((err) =>
      outcomes.push(`${name} ${err.codeName} at ${clock.now()}`)
    );
  const slow = track("slow", 500);
  const fast = track("fast", 100);
  await until("both requests", () => held.length === 2);
  clock.advance(100);
  await fast;
  assert.deepEqual(outcomes, ["fast DEADLINE_EXCEEDED at 100"]);
  clock.advance(399);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(outcomes.length, 1);
  clock.advance(1);
  await slow;
  assert.deepEqual(outcomes, ["fast DEADLINE_EXCEEDED at 100", "slow DEADLINE_EXCEEDED at 500"]);
});

Deno.test("GrpcChannel.unary() cancels a call when its signal aborts", async () => {
  const held: FakeStream[] = [];
  await using server = await startFakeGrpcServer((_request, stream) => void held.push(stream));
  using channel = channelTo(server);
  const controller = new AbortController();
  const call = failure(
    channel.unary({ path: PATH, message: new Uint8Array(1), signal: controller.signal }),
  );
  await until("the request to arrive", () => held.length === 1);
  const reason = new Error("pod deleted");
  controller.abort(reason);
  const err = await call;
  assert.equal(err.code, GrpcStatus.CANCELLED);
  assert.equal(err.details, "context canceled");
  assert.equal(err.cause, reason);
  assert.equal(await held[0]!.resetByClient, H2Error.CANCEL);
  const before = await failure(
    channel.unary({ path: PATH, message: new Uint8Array(1), signal: AbortSignal.abort() }),
  );
  assert.equal(before.code, GrpcStatus.CANCELLED);
  assert.equal(server.connections[0]!.streams.length, 1, "an aborted call sends nothing");
});

Deno.test("GrpcChannel enforces message size limits both ways", async (t) => {
  const held: FakeStream[] = [];
  await using server = await startFakeGrpcServer(async (request, stream) => {
    held.push(stream);
    await stream.ok(new Uint8Array(Number(new TextDecoder().decode(request.messages[0]))));
  });
  using channel = channelTo(server, { maxReceiveMessageBytes: 1000, maxSendMessageBytes: 10 });
  await t.step("a response at the limit is accepted", async () => {
    assert.equal((await channel.unary({ path: PATH, message: text.encode("1000") })).length, 1000);
  });
  await t.step("a larger response fails and its stream is reset", async () => {
    const err = await failure(channel.unary({ path: PATH, message: text.encode("1001") }));
    assert.equal(err.code, GrpcStatus.RESOURCE_EXHAUSTED);
    assert.equal(err.details, "grpc: received message larger than max (1001 vs. 1000)");
    // The server may have ended the stream already; the client resets it either way.
    await until(
      "the RST_STREAM",
      () => server.connections[0]!.resets.some(([id, code]) => id === 3 && code === H2Error.CANCEL),
    );
  });
  await t.step("a larger request fails unsent", async () => {
    const err = await failure(channel.unary({ path: PATH, message: new Uint8Array(11) }));
    assert.equal(err.code, GrpcStatus.RESOURCE_EXHAUSTED);
    assert.equal(err.details, "trying to send message larger than max (11 vs. 10)");
    assert.equal(server.connections[0]!.streams.length, 2);
  });
});

Deno.test("GrpcChannel moves messages larger than the flow-control windows", async (t) => {
  // The server starts every stream's window (its receive side) at 65 535 octets and gives it
  // back frame by frame; the client's windows are 1 MiB and need WINDOW_UPDATEs to go on.
  await using server = await startFakeGrpcServer(async (request, stream) => {
    const size = request.messages[0]!.length;
    const reply = new Uint8Array(size === 1 ? 5 * 1024 * 1024 : 4);
    reply.fill(7);
    new DataView(reply.buffer).setUint32(0, size);
    await stream.ok(reply);
  });
  using channel = channelTo(server, { maxReceiveMessageBytes: 16 * 1024 * 1024 });
  await t.step("a 5 MiB response", async () => {
    const reply = await channel.unary({ path: PATH, message: new Uint8Array(1) });
    assert.equal(reply.length, 5 * 1024 * 1024);
    assert.equal(reply[reply.length - 1], 7);
    const updates = server.connections[0]!.windowUpdates;
    assert.ok(updates.some(([id]) => id === 0), "the connection window was given back");
    assert.ok(updates.some(([id]) => id === 1), "the stream window was given back");
  });
  await t.step("a 3 MiB request", async () => {
    const request = new Uint8Array(3 * 1024 * 1024);
    const reply = await channel.unary({ path: PATH, message: request });
    assert.equal(new DataView(reply.buffer, reply.byteOffset).getUint32(0), request.length);
  });
  await t.step("concurrent calls share the connection window", async () => {
    const replies = await Promise.all(
      [1, 2, 3].map(() => channel.unary({ path: PATH, message: new Uint8Array(1) })),
    );
    assert.deepEqual(replies.map((r) => r.length), Array(3).fill(5 * 1024 * 1024));
  });
});

Deno.test("GrpcChannel splits and joins header blocks larger than a frame", async () => {
  const longPath = `/test.v1.Echo/${"x".repeat(40_000)}`;
  await using server = await startFakeGrpcServer((request, stream) => {
    // Response headers in a HEADERS and two CONTINUATION frames.
    const block = new HpackEncoder().encode([
      [":status", "200"],
      ["content-type", "application/grpc"],
      ["x-padding", "p".repeat(2_000)],
    ]);
    const third = Math.ceil(block.length / 3);
    stream.connection.raw(encodeFrame(
      { type: FrameType.HEADERS, streamId: request.streamId },
      block.subarray(0, third),
    ));
    stream.connection.raw(encodeFrame(
      { type: FrameType.CONTINUATION, streamId: request.streamId },
      block.subarray(third, 2 * third),
    ));
    stream.connection.raw(encodeFrame(
      { type: FrameType.CONTINUATION, flags: FrameFlag.END_HEADERS, streamId: request.streamId },
      block.subarray(2 * third),
    ));
    void stream.data(new Uint8Array([0, 0, 0, 0, 2, 0x6f, 0x6b])).then(() =>
      stream.trailers([["grpc-status", "0"], ["x-path-length", String(request.path.length)]])
    );
  });
  using channel = channelTo(server);
  const reply = await channel.unary({ path: longPath, message: new Uint8Array(0) });
  assert.equal(new TextDecoder().decode(reply), "ok");
});

Deno.test("GrpcChannel answers PINGs", async () => {
  await using server = await startFakeGrpcServer((_r, stream) => stream.ok(new Uint8Array(0)));
  using channel = channelTo(server);
  await channel.unary({ path: PATH, message: new Uint8Array(0) });
  await server.connections[0]!.ping();
  await server.connections[0]!.ping();
  // The connection still serves calls.
  await channel.unary({ path: PATH, message: new Uint8Array(0) });
  assert.equal(server.connections.length, 1);
});

Deno.test("GrpcChannel moves to a new connection after a GOAWAY", async (t) => {
  await using server = await startFakeGrpcServer((_r, stream) => stream.ok(new Uint8Array(0)));
  using channel = channelTo(server);
  await t.step("calls after a graceful GOAWAY open a new connection", async () => {
    await channel.unary({ path: PATH, message: new Uint8Array(0) });
    server.connections[0]!.goaway({ debug: "graceful shutdown" });
    await until("the client to close the old connection", () => server.connections.length === 1);
    await new Promise((r) => setTimeout(r, 10));
    await channel.unary({ path: PATH, message: new Uint8Array(0) });
    assert.equal(server.connections.length, 2);
  });
  await t.step("a call beyond the GOAWAY's last stream is sent again", async () => {
    let refused = 0;
    server.handle((request, stream) => {
      if (refused++ === 0) {
        // Refuse it: this connection takes no stream, not even this one.
        stream.connection.goaway({ lastStreamId: Math.max(0, request.streamId - 2) });
        return;
      }
      return stream.ok(text.encode("second try"));
    });
    const reply = await channel.unary({ path: PATH, message: new Uint8Array(0) });
    assert.equal(new TextDecoder().decode(reply), "second try");
    assert.equal(server.connections.length, 3);
  });
  await t.step("a stream refused with REFUSED_STREAM is sent again", async () => {
    let refused = 0;
    server.handle((_request, stream) => {
      if (refused++ === 0) return stream.reset(H2Error.REFUSED_STREAM);
      return stream.ok(text.encode("again"));
    });
    const reply = await channel.unary({ path: PATH, message: new Uint8Array(0) });
    assert.equal(new TextDecoder().decode(reply), "again");
  });
  await t.step("a GOAWAY with an error fails the streams it did not take", async () => {
    server.handle((request, stream) =>
      stream.connection.goaway({
        lastStreamId: Math.max(0, request.streamId - 2),
        code: H2Error.ENHANCE_YOUR_CALM,
        debug: "too_many_pings",
      })
    );
    const err = await failure(channel.unary({ path: PATH, message: new Uint8Array(0) }));
    // Sent again once, refused again.
    assert.equal(err.code, GrpcStatus.UNAVAILABLE);
    assert.equal(
      err.details,
      'the server sent GOAWAY with ENHANCE_YOUR_CALM ("too_many_pings")',
    );
  });
});

Deno.test("GrpcChannel reconnects after the server restarts", async () => {
  const held: FakeStream[] = [];
  await using server = await startFakeGrpcServer(async (request, stream) => {
    if (request.path === "/hold") return void held.push(stream);
    await stream.ok(text.encode("up"));
  });
  using channel = channelTo(server);
  assert.equal(
    new TextDecoder().decode(await channel.unary({ path: PATH, message: new Uint8Array(0) })),
    "up",
  );
  const inFlight = failure(channel.unary({ path: "/hold", message: new Uint8Array(0) }));
  await until("the held request", () => held.length === 1);
  await server.stop();
  const dropped = await inFlight;
  assert.equal(dropped.code, GrpcStatus.UNAVAILABLE);
  assert.equal(dropped.details, "the server closed the connection");
  const down = await failure(channel.unary({ path: PATH, message: new Uint8Array(0) }));
  assert.equal(down.code, GrpcStatus.UNAVAILABLE);
  assert.match(down.details, /^connection error: cannot dial unix .*grpc\.sock: /);
  server.restart();
  assert.equal(
    new TextDecoder().decode(await channel.unary({ path: PATH, message: new Uint8Array(0) })),
    "up",
  );
});

Deno.test("GrpcChannel waits for MAX_CONCURRENT_STREAMS", async () => {
  let open = 0;
  let most = 0;
  await using server = await startFakeGrpcServer(async (_r, stream) => {
    open++;
    most = Math.max(most, open);
    await new Promise((r) => setTimeout(r, 5));
    open--;
    await stream.ok(new Uint8Array(0));
  }, { settings: { maxConcurrentStreams: 1 } });
  using channel = channelTo(server);
  await channel.waitForReady({ timeoutMs: 5_000 });
  await Promise.all([1, 2, 3].map(() => channel.unary({ path: PATH, message: new Uint8Array(0) })));
  assert.equal(most, 1);
  assert.deepEqual(server.connections[0]!.streams, [1, 3, 5]);
});

Deno.test("GrpcChannel.waitForReady() waits for the server's SETTINGS", async (t) => {
  await t.step("a server that answers", async () => {
    await using server = await startFakeGrpcServer(() => {});
    using channel = channelTo(server);
    await channel.waitForReady({ timeoutMs: 5_000 });
  });
  await t.step("no socket: the dial error, after retrying until the timeout", async () => {
    const dir = await Deno.makeTempDir({ prefix: "skiff-grpc-test-" });
    try {
      const clock = new FakeClock(0);
      using channel = new GrpcChannel({ address: { socketPath: join(dir, "none.sock") }, clock });
      let settled = false;
      const waiting = failure(channel.waitForReady({ timeoutMs: 1_000 })).finally(() =>
        settled = true
      );
      while (!settled) {
        await new Promise((r) => setTimeout(r, 1));
        clock.advance(50);
      }
      const err = await waiting;
      assert.equal(err.code, GrpcStatus.UNAVAILABLE);
      assert.match(err.details, /^connection error: cannot dial unix .*none\.sock: /);
      assert.ok(clock.now() >= 1_000);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step("a socket that never speaks HTTP/2", async () => {
    await using server = await startFakeGrpcServer(() => {}, { silent: true });
    const clock = new FakeClock(0);
    using channel = channelTo(server, { clock });
    const waiting = failure(channel.waitForReady({ timeoutMs: 300 }));
    await until("the connection", () => server.connections.length === 1);
    clock.advance(300);
    const err = await waiting;
    assert.equal(err.details, "the server sent no HTTP/2 SETTINGS");
  });
});

Deno.test("GrpcChannel ends the connection on a protocol error, telling the server", async () => {
  await using server = await startFakeGrpcServer((_r, stream) => {
    // A PING must carry 8 octets.
    stream.connection.raw(encodeFrame({ type: FrameType.PING, streamId: 0 }, new Uint8Array(7)));
  });
  using channel = channelTo(server);
  const err = await failure(channel.unary({ path: PATH, message: new Uint8Array(0) }));
  assert.equal(err.code, GrpcStatus.UNAVAILABLE);
  assert.equal(err.details, "HTTP/2 FRAME_SIZE_ERROR: PING of other than 8 octets");
  await until("the GOAWAY", () => server.connections[0]!.goaways.length === 1);
  assert.deepEqual(server.connections[0]!.goaways, [H2Error.FRAME_SIZE_ERROR]);
});

Deno.test("GrpcChannel.close() cancels calls in flight and later ones", async () => {
  const held: FakeStream[] = [];
  await using server = await startFakeGrpcServer((_r, stream) => void held.push(stream));
  const channel = channelTo(server);
  const call = failure(channel.unary({ path: PATH, message: new Uint8Array(0) }));
  await until("the request", () => held.length === 1);
  channel.close();
  channel.close();
  assert.equal((await call).code, GrpcStatus.CANCELLED);
  const later = await failure(channel.unary({ path: PATH, message: new Uint8Array(0) }));
  assert.equal(later.code, GrpcStatus.CANCELLED);
  assert.equal(later.details, "the channel is closed");
});

Deno.test("GrpcChannel's idle connection does not keep the process alive", async () => {
  await using server = await startFakeGrpcServer((_r, stream) => stream.ok(text.encode("ok")));
  const dir = await Deno.makeTempDir({ prefix: "skiff-grpc-test-" });
  try {
    const script = join(dir, "client.ts");
    await Deno.writeTextFile(
      script,
      `import { GrpcChannel } from ${
        JSON.stringify(new URL("./grpc_channel.ts", import.meta.url).href)
      };
const channel = new GrpcChannel({ address: { socketPath: ${JSON.stringify(server.socketPath)} } });
const reply = await channel.unary({ path: "/a/b", message: new Uint8Array(0), timeoutMs: 5000 });
console.log(new TextDecoder().decode(reply));
// No close(): the process must still exit.
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-lock", script],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    assert.equal(new TextDecoder().decode(out.stderr), "");
    assert.equal(new TextDecoder().decode(out.stdout), "ok\n");
    assert.ok(out.success);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
