/**
 * kubectl 1.30+'s `v5.channel.k8s.io` WebSocket, terminated in the API server and spoken as
 * SPDY `v4.channel.k8s.io` to the kubelet (containerd has no v5), as upstream's stream
 * translator does:
 *
 * - SPDY streams are opened as client-go opens them: `error`, then `stdin`, `stdout`,
 *   `stderr` (not with a TTY) and `resize` (with a TTY), as the request asked;
 * - WebSocket binary messages carry a channel byte: 0 stdin, 4 resize (JSON) go to their
 *   streams; 255 CLOSE `[255, 0]` half-closes stdin; stdout (1) and stderr (2) come back;
 * - the v4 status on the error stream is decoded as client-go does and re-encoded for channel
 *   3: `{"metadata":{},"status":"Success"}`, a `NonZeroExitCode` Failure with the `ExitCode`
 *   cause, or an `InternalError` for anything else; then close 1000 and the SPDY session ends.
 *
 * @module
 */
import type { SpdySession, SpdyStream } from "../../util/spdy/session.ts";
import type { WebSocketConnection } from "../../util/websocket/websocket_connection.ts";
import { type FlowSocket, Throttle } from "./_backpressure.ts";
import type { StreamOptions } from "./stream_target.ts";

/** The WebSocket subprotocol kubectl 1.30+ offers first. */
export const STREAM_PROTOCOL_V5 = "v5.channel.k8s.io";
/** The SPDY stream protocol spoken to the kubelet. */
export const STREAM_PROTOCOL_V4 = "v4.channel.k8s.io";

/** Channel numbers of the `channel.k8s.io` protocols. */
export const StreamChannel = {
  Stdin: 0,
  Stdout: 1,
  Stderr: 2,
  Error: 3,
  Resize: 4,
  Close: 255,
} as const;

/** The SPDY streams of one exec or attach. */
export interface ExecStreams {
  readonly error: SpdyStream;
  readonly stdin?: SpdyStream;
  readonly stdout?: SpdyStream;
  readonly stderr?: SpdyStream;
  readonly resize?: SpdyStream;
}

/**
 * Opens the streams `options` calls for on a session upgraded with v4, each once the peer
 * replied. Rejects (resetting what was opened) when the kubelet refuses one.
 */
export async function openExecStreams(
  session: SpdySession,
  options: Pick<StreamOptions, "stdin" | "stdout" | "stderr" | "tty">,
): Promise<ExecStreams> {
  const open = (type: string) => session.openStream({ streamType: type });
  const error = await open("error");
  const stdin = options.stdin ? await open("stdin") : undefined;
  const stdout = options.stdout ? await open("stdout") : undefined;
  const stderr = options.stderr && !options.tty ? await open("stderr") : undefined;
  const resize = options.tty ? await open("resize") : undefined;
  return {
    error,
    ...(stdin ? { stdin } : {}),
    ...(stdout ? { stdout } : {}),
    ...(stderr ? { stderr } : {}),
    ...(resize ? { resize } : {}),
  };
}

interface V4Status {
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly details?: { readonly causes?: readonly { reason?: string; message?: string }[] };
}

/**
 * The channel-3 status for a v4 error stream's content (empty: the command ran and the
 * stream closed without a word, which client-go takes as success).
 */
export function v5Status(v4: Uint8Array): Record<string, unknown> {
  if (v4.byteLength === 0) return { metadata: {}, status: "Success" };
  let status: V4Status;
  try {
    status = JSON.parse(new TextDecoder().decode(v4)) as V4Status;
  } catch {
    const text = new TextDecoder().decode(v4);
    return internalError(
      `error stream protocol error: invalid character in ${JSON.stringify(text)}`,
    );
  }
  if (status.status === "Success") return { metadata: {}, status: "Success" };
  if (status.status === "Failure" && status.reason === "NonZeroExitCode") {
    const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
    const code = cause?.message !== undefined && /^\d+$/.test(cause.message)
      ? Number(cause.message)
      : NaN;
    if (Number.isInteger(code) && code >= 0 && code <= 255) {
      // client-go's exit error says "command terminated with non-zero exit code: <message>";
      // the translator wraps that once more.
      const exitError = `command terminated with non-zero exit code: ${status.message ?? ""}`;
      return {
        metadata: {},
        status: "Failure",
        message: `command terminated with non-zero exit code: ${exitError}`,
        reason: "NonZeroExitCode",
        details: { causes: [{ reason: "ExitCode", message: String(code) }] },
      };
    }
  }
  return internalError(status.message ?? "unknown error");
}

function internalError(detail: string): Record<string, unknown> {
  return {
    metadata: {},
    status: "Failure",
    message: `Internal error occurred: ${detail}`,
    reason: "InternalError",
    details: { causes: [{ message: detail }] },
    code: 500,
  };
}

function withChannel(channel: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.byteLength + 1);
  out[0] = channel;
  out.set(data, 1);
  return out;
}

/** Options of {@linkcode bridgeV5}. */
export interface BridgeV5Options {
  readonly ws: WebSocketConnection;
  readonly session: SpdySession;
  readonly streams: ExecStreams;
  /** The sockets under `ws` and `session`: a slow side holds the other back. */
  readonly flow?: { readonly client: FlowSocket; readonly kubelet: FlowSocket };
}

/**
 * The message handler for the client's WebSocket (pass it as `onMessage`), and the wiring of
 * the SPDY streams back to it. Resolves once both sides are done.
 */
export function bridgeV5(
  options: BridgeV5Options,
): { readonly onMessage: (message: Uint8Array | string) => void; readonly done: Promise<void> } {
  const { ws, session, streams, flow } = options;
  const toClient = flow ? new Throttle(flow.kubelet, flow.client) : null;
  const toKubelet = flow ? new Throttle(flow.client, flow.kubelet) : null;
  const outputs = [streams.stdout, streams.stderr].filter((s): s is SpdyStream => !!s);
  const ended = (s: SpdyStream) =>
    new Promise<void>((resolve) => {
      s.onEnd(resolve);
      s.onClose(() => resolve());
    });
  streams.stdout?.onData((d) => {
    ws.send(withChannel(StreamChannel.Stdout, d));
    toClient?.check();
  });
  streams.stderr?.onData((d) => {
    ws.send(withChannel(StreamChannel.Stderr, d));
    toClient?.check();
  });
  const status = streams.error.readAll();
  const done = (async () => {
    const [v4] = await Promise.all([status, ...outputs.map(ended)]);
    if (ws.open) {
      const body = new TextEncoder().encode(JSON.stringify(v5Status(v4)));
      ws.send(withChannel(StreamChannel.Error, body));
      ws.close(1000);
    }
    session.close();
    await ws.closed;
  })();
  // The client going away ends the session (and the command's streams) with it.
  void ws.closed.then(() => session.close());
  const onMessage = (message: Uint8Array | string) => {
    if (typeof message === "string" || message.byteLength === 0) return;
    const data = message.subarray(1);
    switch (message[0]) {
      case StreamChannel.Stdin:
        streams.stdin?.write(data);
        toKubelet?.check();
        return;
      case StreamChannel.Resize:
        streams.resize?.write(data);
        return;
      case StreamChannel.Close:
        if (data[0] === StreamChannel.Stdin) streams.stdin?.end();
        return;
      default:
        return;
    }
  };
  return { onMessage, done };
}
