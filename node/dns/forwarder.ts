/**
 * {@linkcode DnsForwarder}: resolves names outside the cluster through the host's resolvers,
 * with a {@linkcode DnsCache} in front. A question is answered from the cache when it can be;
 * identical questions in flight share one upstream exchange; otherwise the upstreams are tried
 * in turn (starting with the last one that answered), each with a timeout, over UDP and again
 * over TCP when the reply is truncated. A reply of SERVFAIL, REFUSED or NOTIMP, a timeout or an
 * error moves on to the next upstream; when every attempt failed the answer is SERVFAIL (not
 * cached). Timers run only while an exchange is in flight.
 *
 * @module
 */
import type { Clock } from "../../control/util/clock.ts";
import {
  decodeUpstreamReply,
  type DnsQuestion,
  encodeUpstreamQuery,
  RCODE,
  type UpstreamReply,
} from "./dns_message.ts";
import { type CachedAnswer, cacheKey, type DnsCache } from "./response_cache.ts";
import type { UpstreamServer, UpstreamTransport } from "./upstream_transport.ts";

/** Options of {@linkcode DnsForwarder}. */
export interface DnsForwarderOptions {
  readonly upstreams: readonly UpstreamServer[];
  readonly transport: UpstreamTransport;
  readonly cache: DnsCache;
  readonly clock: Clock;
  /** How long one attempt waits for its reply. @default {2000} */
  readonly timeoutMs?: number;
  /** Attempts per question, over the upstreams in turn. @default {max(2, upstreams)} */
  readonly attempts?: number;
  /** The query IDs (tests fix them). @default {random} */
  readonly randomId?: () => number;
  /** Told when a question failed on every upstream (e.g. to read resolv.conf again). */
  readonly onFailure?: () => void;
}

/** What the client asked for besides the question. */
export interface ForwardFlags {
  readonly dnssecOk: boolean;
  readonly checkingDisabled: boolean;
}

/** Counters of the forwarder. */
export interface ForwarderStats {
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly upstreamQueries: number;
  readonly failures: number;
}

const SERVFAIL: CachedAnswer = Object.freeze({
  rcode: RCODE.SERVFAIL,
  authenticData: false,
  answers: [],
  authorities: [],
  additionals: [],
});

function randomQueryId(): number {
  return crypto.getRandomValues(new Uint16Array(1))[0]!;
}

function sameQuestion(a: DnsQuestion | undefined, b: DnsQuestion): boolean {
  return a !== undefined && a.type === b.type && a.class === b.class &&
    a.name.toLowerCase() === b.name.toLowerCase();
}

/** The records of `answer` renamed to the question's case where they are owned by its name. */
function inQuestionCase(answer: CachedAnswer, question: DnsQuestion): CachedAnswer {
  const lname = question.name.toLowerCase();
  const rename = (records: CachedAnswer["answers"]) =>
    records.map((r) =>
      r.name !== question.name && r.name.toLowerCase() === lname ? { ...r, name: question.name } : r
    );
  return {
    ...answer,
    answers: rename(answer.answers),
    authorities: rename(answer.authorities),
  };
}

/** Forwards questions to upstream servers, with a cache (see the module doc). */
export class DnsForwarder {
  readonly #options: DnsForwarderOptions;
  readonly #inflight = new Map<string, Promise<CachedAnswer>>();
  #upstreams: readonly UpstreamServer[];
  #preferred = 0;
  #stats = { cacheHits: 0, cacheMisses: 0, upstreamQueries: 0, failures: 0 };

  constructor(options: DnsForwarderOptions) {
    this.#options = options;
    this.#upstreams = options.upstreams;
  }

  /** The servers forwarded to. */
  get upstreams(): readonly UpstreamServer[] {
    return this.#upstreams;
  }

  /** Replaces the servers forwarded to. */
  setUpstreams(upstreams: readonly UpstreamServer[]): void {
    this.#upstreams = upstreams;
    this.#preferred = 0;
  }

  /** What the forwarder has done so far. */
  get stats(): ForwarderStats {
    return { ...this.#stats };
  }

  /** The answer to `question`, from the cache or the upstreams; SERVFAIL if none answered. */
  async resolve(question: DnsQuestion, flags: ForwardFlags): Promise<CachedAnswer> {
    const key = cacheKey(question, flags);
    const cached = this.#options.cache.get(key);
    if (cached) {
      this.#stats.cacheHits++;
      return inQuestionCase(cached, question);
    }
    this.#stats.cacheMisses++;
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#exchange(question, flags, key).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return inQuestionCase(await pending, question);
  }

  async #exchange(question: DnsQuestion, flags: ForwardFlags, key: string): Promise<CachedAnswer> {
    const upstreams = this.#upstreams;
    if (upstreams.length === 0) {
      this.#stats.failures++;
      this.#options.onFailure?.();
      return SERVFAIL;
    }
    const attempts = this.#options.attempts ?? Math.max(2, upstreams.length);
    for (let i = 0; i < attempts; i++) {
      const index = (this.#preferred + i) % upstreams.length;
      const server = upstreams[index]!;
      const got = await this.#ask(server, question, flags).catch(() => undefined);
      if (!got) continue;
      const { reply, sizeBytes } = got;
      if (
        reply.rcode === RCODE.SERVFAIL || reply.rcode === RCODE.REFUSED ||
        reply.rcode === RCODE.NOTIMP || reply.rcode === RCODE.FORMERR
      ) continue;
      this.#preferred = index;
      const answer: CachedAnswer = {
        rcode: reply.rcode,
        authenticData: reply.authenticData,
        answers: reply.answers,
        authorities: reply.authorities,
        additionals: reply.additionals,
      };
      this.#options.cache.put(key, answer, sizeBytes);
      return answer;
    }
    this.#stats.failures++;
    this.#options.onFailure?.();
    return SERVFAIL;
  }

  /** One attempt at one server: UDP, then TCP if the reply is truncated. */
  async #ask(
    server: UpstreamServer,
    question: DnsQuestion,
    flags: ForwardFlags,
  ): Promise<{ reply: UpstreamReply; sizeBytes: number }> {
    const id = (this.#options.randomId ?? randomQueryId)();
    const query = encodeUpstreamQuery(question, {
      id,
      dnssecOk: flags.dnssecOk,
      checkingDisabled: flags.checkingDisabled,
    });
    const accept = (bytes: Uint8Array) => {
      try {
        const r = decodeUpstreamReply(bytes);
        return r.id === id && sameQuestion(r.question, question);
      } catch {
        return false;
      }
    };
    const timeoutMs = this.#options.timeoutMs ?? 2000;
    const stop = new AbortController();
    const timer = this.#options.clock.setTimeout(
      () => stop.abort(new Error(`DNS query to "${server.hostname}" timed out`)),
      timeoutMs,
    );
    try {
      this.#stats.upstreamQueries++;
      let bytes = await this.#options.transport.exchangeUdp(server, query, {
        signal: stop.signal,
        accept,
      });
      let reply = decodeUpstreamReply(bytes);
      if (reply.truncated) {
        this.#stats.upstreamQueries++;
        bytes = await this.#options.transport.exchangeTcp(server, query, {
          signal: stop.signal,
          accept,
        });
        reply = decodeUpstreamReply(bytes);
      }
      return { reply, sizeBytes: bytes.byteLength };
    } finally {
      timer.cancel();
    }
  }
}
