/**
 * The WebSocket opening handshake (RFC 6455 §4) over HTTP/1.1: recognizing an upgrade
 * request, choosing a subprotocol, the `101` answer with its `Sec-WebSocket-Accept`, and the
 * client's side — sending the request on a raw socket and checking the answer.
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import type { Clock } from "../clock.ts";
import { sendUpgradeRequest, type UpgradeSocket } from "../http1_upgrade_client.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** `Sec-WebSocket-Accept` for a request's `Sec-WebSocket-Key`. */
export function websocketAccept(key: string): string {
  return createHash("sha1").update(key + GUID).digest("base64");
}

/** Whether `headers` ask for a WebSocket upgrade (`Upgrade: websocket`, `Connection: upgrade`). */
export function isWebSocketUpgrade(headers: Headers): boolean {
  const upgrade = headers.get("upgrade")?.toLowerCase() ?? "";
  const connection = (headers.get("connection") ?? "").toLowerCase().split(",").map((t) =>
    t.trim()
  );
  return upgrade.split(",").map((t) => t.trim()).includes("websocket") &&
    connection.includes("upgrade");
}

/** The subprotocols a request offers, in its order. */
export function offeredSubprotocols(headers: Headers): string[] {
  return (headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim()).filter(
    (p) => p !== "",
  );
}

/**
 * The first subprotocol the client offers that the server supports, or null when none is
 * (`supported` lists the server's).
 */
export function chooseSubprotocol(
  headers: Headers,
  supported: readonly string[],
): string | null {
  return offeredSubprotocols(headers).find((p) => supported.includes(p)) ?? null;
}

/** Options of {@linkcode websocketUpgradeResponse}. */
export interface UpgradeResponseOptions {
  /** The request's `Sec-WebSocket-Key`. */
  readonly key: string;
  /** The subprotocol chosen, if any. */
  readonly protocol?: string | null;
}

/** The bytes of the `101 Switching Protocols` answer to a WebSocket upgrade. */
export function websocketUpgradeResponse(options: UpgradeResponseOptions): Uint8Array {
  let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    `Sec-WebSocket-Accept: ${websocketAccept(options.key)}\r\n`;
  if (options.protocol) head += `Sec-WebSocket-Protocol: ${options.protocol}\r\n`;
  return new TextEncoder().encode(`${head}\r\n`);
}

/** Options of {@linkcode websocketClientHandshake}. */
export interface ClientHandshakeOptions {
  /** The request target, e.g. `/exec/abc` or `/api/v1/…?command=ls`. */
  readonly path: string;
  /** The `Host` header. */
  readonly host: string;
  /** Subprotocols to offer, best first. */
  readonly protocols?: readonly string[];
  /** More request headers (`Authorization`…). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Gives up after this long. @default {30 s} */
  readonly timeoutMs?: number;
  /** @default {systemClock} */
  readonly clock?: Clock;
}

/** What {@linkcode websocketClientHandshake} got back. */
export interface ClientHandshakeResult {
  /** The subprotocol the server chose, "" when none. */
  readonly protocol: string;
  /** Bytes after the response head (the first frames). */
  readonly buffered: Uint8Array;
}

/** The server did not switch to WebSocket. */
export class WebSocketHandshakeError extends Error {
  /** The response's status, 0 when there was no valid response. */
  readonly status: number;
  /** The response body, as far as it arrived with the head. */
  readonly body: string;
  constructor(message: string, options: { status: number; body: string }) {
    super(message);
    this.name = "WebSocketHandshakeError";
    this.status = options.status;
    this.body = options.body;
  }
}

/**
 * Sends a WebSocket upgrade request on `socket` (already connected) and waits for a valid
 * `101`. Rejects with {@linkcode WebSocketHandshakeError} otherwise.
 */
export async function websocketClientHandshake(
  socket: UpgradeSocket,
  options: ClientHandshakeOptions,
): Promise<ClientHandshakeResult> {
  const key = randomBytes(16).toString("base64");
  const headers: [string, string][] = [
    ["Host", options.host],
    ["Upgrade", "websocket"],
    ["Connection", "Upgrade"],
    ["Sec-WebSocket-Key", key],
    ["Sec-WebSocket-Version", "13"],
  ];
  if (options.protocols?.length) {
    headers.push(["Sec-WebSocket-Protocol", options.protocols.join(", ")]);
  }
  headers.push(...Object.entries(options.headers ?? {}));
  const response = await sendUpgradeRequest(socket, {
    path: options.path,
    headers,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const body = new TextDecoder().decode(response.buffered);
  if (response.status !== 101) {
    throw new WebSocketHandshakeError(
      `Cannot upgrade to WebSocket: the server answered ${response.status}`,
      { status: response.status, body },
    );
  }
  if (response.headers.get("sec-websocket-accept") !== websocketAccept(key)) {
    throw new WebSocketHandshakeError("Cannot upgrade to WebSocket: wrong Sec-WebSocket-Accept", {
      status: 101,
      body,
    });
  }
  const protocol = response.headers.get("sec-websocket-protocol") ?? "";
  if (protocol !== "" && !(options.protocols ?? []).includes(protocol)) {
    throw new WebSocketHandshakeError(
      `Cannot upgrade to WebSocket: the server chose subprotocol "${protocol}", not offered`,
      { status: 101, body },
    );
  }
  return { protocol, buffered: response.buffered };
}
