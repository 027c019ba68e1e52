/**
 * A lean HTTP/1.1 client over one TLS connection with a client certificate, for benchmarks:
 * `fetch` costs far more CPU per request than the server it measures, and on a 2-core machine
 * the load generator would be what is measured. Requests on one connection run one at a
 * time (no pipelining); bodies are `Content-Length` or chunked. Watches read a chunked stream
 * line by line.
 *
 * @module
 */

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
const CRLF2 = new Uint8Array([13, 10, 13, 10]);

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** One keep-alive connection. */
export class Http1Connection {
  readonly #conn: Deno.TlsConn;
  readonly #host: string;
  readonly #auth: string;
  #buf = new Uint8Array(0);
  #busy: Promise<unknown> = Promise.resolve();

  constructor(conn: Deno.TlsConn, host: string, bearer?: string) {
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

  /** One read buffer per connection: a watch reads thousands of times. */
  readonly #chunk = new Uint8Array(16 * 1024);

  async #fill(): Promise<boolean> {
    const n = await this.#conn.read(this.#chunk);
    if (n === null) return false;
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(this.#chunk.subarray(0, n), this.#buf.length);
    this.#buf = next;
    return true;
  }

  async #readHead(): Promise<{ status: number; headers: Map<string, string> }> {
    let end;
    while ((end = indexOf(this.#buf, CRLF2, 0)) < 0) {
      if (!(await this.#fill())) throw new Error("Connection closed before the response head");
    }
    const head = decoder.decode(this.#buf.subarray(0, end));
    this.#buf = this.#buf.subarray(end + 4);
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
    while (this.#buf.length < n) {
      if (!(await this.#fill())) throw new Error("Connection closed mid-body");
    }
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  async #readLine(): Promise<string> {
    let i;
    while ((i = this.#buf.indexOf(10)) < 0) {
      if (!(await this.#fill())) throw new Error("Connection closed mid-line");
    }
    const line = decoder.decode(this.#buf.subarray(0, i)).replace(/\r$/, "");
    this.#buf = this.#buf.subarray(i + 1);
    return line;
  }

  async #readChunked(onChunk: (data: Uint8Array) => void | boolean): Promise<void> {
    for (;;) {
      const size = parseInt(await this.#readLine(), 16);
      if (size === 0) {
        await this.#readLine();
        return;
      }
      const data = await this.#readExactly(size);
      await this.#readExactly(2);
      if (onChunk(data) === false) return;
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
        await this.#readChunked((d) => void parts.push(d));
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
   * Sends a watch and calls `onLine` for each newline-terminated line until it returns false or
   * the connection closes. The connection is unusable afterwards.
   */
  async watch(path: string, onLine: (line: string) => boolean | void): Promise<void> {
    await this.#send("GET", path);
    const { status } = await this.#readHead();
    if (status !== 200) throw new Error(`Watch answered ${status}`);
    let pending = "";
    try {
      await this.#readChunked((d) => {
        pending += decoder.decode(d);
        let nl;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (onLine(line) === false) return false;
        }
        return true;
      });
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
