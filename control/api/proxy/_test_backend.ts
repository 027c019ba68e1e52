/**
 * Test support: a stand-in backend (a pod's HTTP server, a kubelet) on 127.0.0.1 that records
 * each request — its head lines and its body, decoded from `Content-Length` or chunked
 * framing — and answers with the raw bytes the test's responder writes; and a dialer that
 * sends every address to it, recording what was asked.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import net from "node:net";
import { ChunkedDecoder } from "../../util/http1_response_body.ts";
import type { BackendAddress, BackendDialer } from "./backend_connection.ts";

/** A request the backend received. */
export interface ReceivedRequest {
  /** `GET /path?q HTTP/1.1`. */
  readonly line: string;
  /** Header lines as sent, names as written. */
  readonly headers: [string, string][];
  readonly body: Uint8Array;
}

/** The value of header `name` (case-insensitive), or undefined. */
export function headerOf(req: ReceivedRequest, name: string): string | undefined {
  return req.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

/** Answers a request: write to `socket` (and end it, or not). */
export type Responder = (req: ReceivedRequest, socket: net.Socket) => void;

/** A running stand-in backend. */
export interface TestBackend extends AsyncDisposable {
  readonly port: number;
  readonly requests: ReceivedRequest[];
  respond: Responder;
  /** A dialer to this backend; `dialed` records the addresses asked. */
  readonly dial: BackendDialer;
  readonly dialed: BackendAddress[];
}

/** A plain answer with a `Content-Length`. */
export function plain(
  status: string,
  options: { headers?: [string, string][]; body?: string | Uint8Array } = {},
): Responder {
  return (_req, socket) => {
    const body = typeof options.body === "string"
      ? Buffer.from(options.body)
      : Buffer.from(options.body ?? new Uint8Array());
    let head = `HTTP/1.1 ${status}\r\n`;
    for (const [n, v] of options.headers ?? []) head += `${n}: ${v}\r\n`;
    head += `Content-Length: ${body.byteLength}\r\n\r\n`;
    socket.end(Buffer.concat([Buffer.from(head), body]));
  };
}

/** Starts a stand-in backend. */
export async function startTestBackend(): Promise<TestBackend> {
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<net.Socket>();
  const dialed: BackendAddress[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buf = Buffer.alloc(0);
    let head: { line: string; headers: [string, string][] } | null = null;
    let decoder: ChunkedDecoder | null = null;
    let length = 0;
    const parts: Uint8Array[] = [];
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!head) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
        const headers = lines.slice(1).map((l) => {
          const colon = l.indexOf(":");
          return [l.slice(0, colon), l.slice(colon + 1).trim()] as [string, string];
        });
        head = { line: lines[0]!, headers };
        buf = buf.subarray(end + 4);
        const te = headers.find(([n]) => n.toLowerCase() === "transfer-encoding")?.[1];
        const cl = headers.find(([n]) => n.toLowerCase() === "content-length")?.[1];
        if (te === "chunked") decoder = new ChunkedDecoder();
        else length = Number(cl ?? 0);
      }
      if (decoder) {
        parts.push(...decoder.push(buf));
        buf = Buffer.alloc(0);
        if (!decoder.done) return;
      } else {
        if (buf.byteLength < length) return;
        parts.push(new Uint8Array(buf.subarray(0, length)));
      }
      socket.off("data", onData);
      const req = { ...head, body: new Uint8Array(Buffer.concat(parts)) };
      requests.push(req);
      state.respond(req, socket);
    };
    socket.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const state: TestBackend = {
    port,
    requests,
    dialed,
    respond: plain("200 OK", { body: "ok" }),
    dial: (address) => {
      dialed.push(address);
      return new Promise((resolve, reject) => {
        const socket = net.connect({ host: "127.0.0.1", port });
        socket.once("connect", () => resolve(socket));
        socket.once("error", reject);
      });
    },
    [Symbol.asyncDispose]: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}

/** Two connected sockets on 127.0.0.1 (a client's and the server's side). */
export async function socketPair(): Promise<
  { client: net.Socket; server: net.Socket } & AsyncDisposable
> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
  const client = net.connect({
    host: "127.0.0.1",
    port: (server.address() as net.AddressInfo).port,
  });
  await new Promise<void>((resolve) => client.once("connect", () => resolve()));
  const serverSide = await accepted;
  server.close();
  return {
    client,
    server: serverSide,
    [Symbol.asyncDispose]: () => {
      client.destroy();
      serverSide.destroy();
      return Promise.resolve();
    },
  };
}
