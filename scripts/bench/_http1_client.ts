/**
 * A lean HTTP/1.1 client over one TLS connection with a client certificate, for benchmarks:
 * `fetch` costs far more CPU per request than the server it measures, and on a 2-core machine
 * the load generator would be what is measured. Requests on one connection run one at a
 * time (no pipelining); bodies are `Content-Length` or chunked. Watches read a chunked stream
 * line by line.
 *
 * @module
 */
import { BytePattern, ChunkedDecoder, LineSplitter } from "./_chunked_lines.ts";

/** TLS settings of a connection. */
export interface TlsOptions {
  readonly hostname: string;
  readonly port: number;
  readonly caCert: string;
  /** The client certificate and key (PEM); none for a bearer-token client. */
  readonly cert?: string;
  readonly key?: string;
  /** Sent as `Authorization: Bearer <token>` on every request. */
  readonly bearer?: string;
}

/** One response. */
export interface Http1Response {
  readonly status: number;
  readonly body: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLF2 = new BytePattern("\r\n\r\n");

/** What a connection reads from and writes to: a TLS connection, or a test's fake. */
export type Http1Transport = Pick<Deno.Conn, "read" | "write" | "close">;

/** One keep-alive connection. */
export class Http1Connection {
  readonly #conn: Http1Transport;
  readonly #host: string;
  readonly #auth: string;
  /** Bytes read and not used yet: `#buf[#start, #end)`, read into in place. */
  #buf = new Uint8Array(16 * 1024);
  #start = 0;
  #end = 0;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(conn: Http1Transport, host: string, bearer?: string) {
    this.#conn = conn;
    this.#host = host;
    this.#auth = bearer ? `Authorization: Bearer ${bearer}\r\n` : "";
  }

  /** Connects and completes the TLS handshake. */
  static async connect(o: TlsOptions): Promise<Http1Connection> {
    const conn = await Deno.connectTls({
      hostname: o.hostname,
      port: o.port,
      caCerts: [o.caCert],
      ...(o.cert && o.key ? { cert: o.cert, key: o.key } : {}),
    });
    await conn.handshake();
    return new Http1Connection(conn, `${o.hostname}:${o.port}`, o.bearer);
  }

  /** Reads more bytes after `#end` (moving or growing the buffer when it is full). */
  async #fill(): Promise<boolean> {
    if (this.#end === this.#buf.length) {
      const used = this.#end - this.#start;
      if (this.#start > 0 && used <= this.#buf.length / 2) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const next = new Uint8Array(this.#buf.length * 2);
        next.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = next;
      }
      this.#start = 0;
      this.#end = used;
    }
    // An empty buffer (as a watch leaves it after each read) is read into without a view.
    const into = this.#end === 0 ? this.#buf : this.#buf.subarray(this.#end);
    const n = await this.#conn.read(into);
    if (n === null) return false;
    this.#end += n;
    return true;
  }

  async #readHead(): Promise<{ status: number; headers: Map<string, string> }> {
    let end;
    while ((end = CRLF2.indexIn(this.#buf, this.#start, this.#end)) < 0) {
      if (!(await this.#fill())) throw new Error("Connection closed before the response head");
    }
    const head = decoder.decode(this.#buf.subarray(this.#start, end));
    this.#start = end + 4;
    const [statusLine = "", ...lines] = head.split("\r\n");
    const status = Number(statusLine.split(" ")[1]);
    const headers = new Map<string, string>();
    for (const l of lines) {
      const i = l.indexOf(":");
      if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
    }
    return { status, headers };
  }

  async #readExactly(n: number): Promise<Uint8Array> {
    while (this.#end - this.#start < n) {
      if (!(await this.#fill())) throw new Error("Connection closed mid-body");
    }
    const out = this.#buf.slice(this.#start, this.#start + n);
    this.#start += n;
    return out;
  }

  /**
   * Feeds the chunked body to `decoder` (the bytes already read, then each read in place)
   * until it is done; what follows the body stays for the next response.
   */
  async #readChunked(chunked: ChunkedDecoder): Promise<void> {
    for (;;) {
      if (this.#end > this.#start) {
        this.#start = chunked.push(this.#buf, this.#start, this.#end);
        if (chunked.done) return;
      }
      // Everything was used: read from the start of the buffer again.
      this.#start = this.#end = 0;
      if (!(await this.#fill())) throw new Error("Connection closed mid-body");
    }
  }

  #send(method: string, path: string, body?: Uint8Array): Promise<number> {
    const head = `${method} ${path} HTTP/1.1\r\nHost: ${this.#host}\r\n` +
      `Accept: application/json\r\n${this.#auth}` +
      (body ? `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` : "") +
      `\r\n`;
    const bytes = body ? new Uint8Array([...encoder.encode(head), ...body]) : encoder.encode(head);
    return this.#conn.write(bytes);
  }

  /** Sends a request and reads its whole response. */
  request(method: string, path: string, body?: Uint8Array): Promise<Http1Response> {
    const run = this.#busy.then(async () => {
      await this.#send(method, path, body);
      const { status, headers } = await this.#readHead();
      if (headers.get("transfer-encoding") === "chunked") {
        const parts: Uint8Array[] = [];
        await this.#readChunked(
          new ChunkedDecoder((b, from, to) => void parts.push(b.slice(from, to))),
        );
        const total = parts.reduce((n, p) => n + p.length, 0);
        const out = new Uint8Array(total);
        let off = 0;
        for (const p of parts) {
          out.set(p, off);
          off += p.length;
        }
        return { status, body: out };
      }
      return { status, body: await this.#readExactly(Number(headers.get("content-length") ?? 0)) };
    });
    this.#busy = run.catch(() => {});
    return run;
  }

  /**
   * Sends a watch and calls `onLine` for each newline-terminated line (decoded, without the
   * `\n`) until it returns false or the connection closes. The connection is unusable
   * afterwards.
   */
  watch(path: string, onLine: (line: string) => boolean | void): Promise<void> {
    return this.watchBytes(path, (b, start, end) => onLine(decoder.decode(b.subarray(start, end))));
  }

  /**
   * {@linkcode watch} without decoding: `onLine` gets each line (without the `\n`) as
   * `bytes[start, end)`, valid during the call only, as soon as the line's last byte is read.
   */
  async watchBytes(
    path: string,
    onLine: (bytes: Uint8Array, start: number, end: number) => boolean | void,
  ): Promise<void> {
    await this.#send("GET", path);
    const { status } = await this.#readHead();
    if (status !== 200) throw new Error(`Watch answered ${status}`);
    const lines = new LineSplitter(onLine);
    try {
      await this.#readChunked(new ChunkedDecoder((b, from, to) => lines.push(b, from, to)));
    } catch {
      // closed
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}
