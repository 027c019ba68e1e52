import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { type BodySocket, ChunkedDecoder, responseBodyStream } from "./http1_response_body.ts";

function enc(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function dec(parts: Uint8Array[]): string {
  return parts.map((p) => new TextDecoder().decode(p)).join("");
}

Deno.test("ChunkedDecoder decodes chunks split anywhere and refuses bad framing", async (t) => {
  await t.step("split across pushes, with extensions", () => {
    const d = new ChunkedDecoder();
    const text = "4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n";
    const out: Uint8Array[] = [];
    for (const ch of text) out.push(...d.push(enc(ch)));
    assert.equal(dec(out), "Wikipedia");
    assert.equal(d.done, true);
  });
  await t.step("a malformed size line", () => {
    assert.throws(() => new ChunkedDecoder().push(enc("zz\r\n")), {
      name: "SyntaxError",
      message: "Malformed chunk size line",
    });
  });
});

class FakeSocket extends EventEmitter implements BodySocket {
  paused = false;
  destroyed = false;
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
  destroy() {
    this.destroyed = true;
  }
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

Deno.test("responseBodyStream() ends the body by its framing and destroys the socket", async (t) => {
  await t.step("Content-Length, with bytes already read and more after the body", async () => {
    const socket = new FakeSocket();
    const stream = responseBodyStream(socket, {
      headers: new Headers({ "content-length": "10" }),
      buffered: enc("hello"),
    });
    socket.emit("data", enc(" worldEXTRA"));
    assert.equal(await readAll(stream), "hello worl");
    assert.equal(socket.destroyed, true);
  });
  await t.step("chunked", async () => {
    const socket = new FakeSocket();
    const stream = responseBodyStream(socket, {
      headers: new Headers({ "transfer-encoding": "chunked" }),
      buffered: enc("3\r\nabc\r\n"),
    });
    socket.emit("data", enc("0\r\n\r\n"));
    assert.equal(await readAll(stream), "abc");
  });
  await t.step("until the server closes", async () => {
    const socket = new FakeSocket();
    const stream = responseBodyStream(socket, { headers: new Headers(), buffered: enc("a") });
    socket.emit("data", enc("b"));
    socket.emit("end");
    assert.equal(await readAll(stream), "ab");
  });
  await t.step("a zero length ends at once", async () => {
    const socket = new FakeSocket();
    const stream = responseBodyStream(socket, {
      headers: new Headers({ "content-length": "0" }),
      buffered: new Uint8Array(),
    });
    assert.equal(await readAll(stream), "");
    assert.equal(socket.destroyed, true);
  });
  await t.step("malformed chunks error the stream", async () => {
    const socket = new FakeSocket();
    const stream = responseBodyStream(socket, {
      headers: new Headers({ "transfer-encoding": "chunked" }),
      buffered: new Uint8Array(),
    });
    socket.emit("data", enc("nope\r\n"));
    await assert.rejects(readAll(stream), { message: "Malformed chunk size line" });
    assert.equal(socket.destroyed, true);
  });
  await t.step("a slow reader pauses the socket; reading resumes it; cancel destroys", async () => {
    const socket = new FakeSocket();
    const stream = responseBodyStream(socket, {
      headers: new Headers(),
      buffered: new Uint8Array(),
    });
    for (let i = 0; i < 8; i++) socket.emit("data", enc("x"));
    assert.equal(socket.paused, true);
    const reader = stream.getReader();
    for (let i = 0; i < 5; i++) await reader.read();
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(socket.paused, false, "resumed once the queue drained");
    await reader.cancel();
    assert.equal(socket.destroyed, true);
  });
});
