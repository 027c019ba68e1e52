/**
 * The HTTP/1.1 upgrade to SPDY/3.1 as Kubernetes streaming uses it: the client asks with
 * `Connection: Upgrade`, `Upgrade: SPDY/3.1` and the stream protocols it speaks in
 * `X-Stream-Protocol-Version` (best first); the server answers `101` naming the one it chose.
 *
 * @module
 */
import { sendUpgradeRequest, type UpgradeSocket } from "../http1_upgrade_client.ts";

/** The `Upgrade` token. */
export const SPDY_UPGRADE = "SPDY/3.1";

/** Whether `headers` ask for an upgrade to SPDY/3.1. */
export function isSpdyUpgrade(headers: Headers): boolean {
  const connection = (headers.get("connection") ?? "").toLowerCase().split(",").map((t) =>
    t.trim()
  );
  const upgrade = (headers.get("upgrade") ?? "").split(",").map((t) => t.trim().toLowerCase());
  return connection.includes("upgrade") && upgrade.includes(SPDY_UPGRADE.toLowerCase());
}

/** The stream protocols a request offers (`X-Stream-Protocol-Version`, every occurrence). */
export function offeredStreamProtocols(headers: Headers): string[] {
  return (headers.get("x-stream-protocol-version") ?? "").split(",").map((p) => p.trim())
    .filter((p) => p !== "");
}

/** The bytes of the `101` accepting a SPDY upgrade with `protocol`. */
export function spdyUpgradeResponse(protocol: string): Uint8Array {
  return new TextEncoder().encode(
    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n" +
      `X-Stream-Protocol-Version: ${protocol}\r\n\r\n`,
  );
}

/** Options of {@linkcode spdyClientUpgrade}. */
export interface SpdyClientUpgradeOptions {
  /** @default {"POST"} */
  readonly method?: string;
  readonly path: string;
  readonly host: string;
  /** Stream protocols offered, best first. */
  readonly protocols: readonly string[];
  /** More request headers. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly timeoutMs?: number;
}

/** What {@linkcode spdyClientUpgrade} got. */
export interface SpdyClientUpgradeResult {
  readonly status: number;
  readonly headers: Headers;
  /** The protocol the server chose ("" when it named none). */
  readonly protocol: string;
  /** Bytes after the response head. */
  readonly buffered: Uint8Array;
}

/**
 * Sends a SPDY/3.1 upgrade request on a connected socket and reads the answer. Resolves with
 * whatever the server answered: a `status` other than 101 means it refused (its body starts in
 * `buffered`).
 */
export async function spdyClientUpgrade(
  socket: UpgradeSocket,
  options: SpdyClientUpgradeOptions,
): Promise<SpdyClientUpgradeResult> {
  const head = await sendUpgradeRequest(socket, {
    method: options.method ?? "POST",
    path: options.path,
    headers: [
      ["Host", options.host],
      ["Connection", "Upgrade"],
      ["Upgrade", SPDY_UPGRADE],
      ...options.protocols.map((p): [string, string] => ["X-Stream-Protocol-Version", p]),
      ...(options.headers ?? []),
      ["Content-Length", "0"],
    ],
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return {
    status: head.status,
    headers: head.headers,
    protocol: head.headers.get("x-stream-protocol-version") ?? "",
    buffered: head.buffered,
  };
}
