/**
 * {@linkcode DnsQueryHandler}: one query in, one reply out (or nothing), with no sockets, so
 * the whole packet path is testable: parse ({@linkcode parseQuery}: malformed input gets
 * FORMERR or is dropped), route, answer, encode (EDNS0 echoed, the reply fitted to the client's
 * UDP payload size with TC set when answers had to go).
 *
 * Routing: names in the cluster domain are answered from the {@linkcode ClusterZone}
 * (authoritative; SERVFAIL until the informers have synced, as CoreDNS does, rather than a
 * wrong NXDOMAIN); PTR questions for addresses the cluster knows too; everything else —
 * other names, and reverse names the cluster does not own — goes to the
 * {@linkcode DnsForwarder}. An ExternalName Service's CNAME is followed, in the zone or
 * upstream, and the target's records appended.
 *
 * Repeated cluster questions (the same bytes but the ID) are answered from a small cache of
 * encoded replies, emptied whenever the records change, so a reply is never stale; replies
 * with several addresses are not kept (their order rotates). It saves the decoding, lookup
 * and encoding — and, more to the point on a small device, their garbage.
 *
 * @module
 */
import type { ClusterZone, ZoneAnswer } from "./cluster_zone.ts";
import {
  DEFAULT_UDP_PAYLOAD_BYTES,
  type DnsQuery,
  type DnsRecord,
  type DnsReply,
  encodeReply,
  encodeServerFailure,
  MAX_MESSAGE_BYTES,
  parseQuery,
  RCODE,
  udpLimitOf,
} from "./dns_message.ts";
import type { DnsForwarder } from "./forwarder.ts";

/** How the query came in. */
export type DnsTransportKind = "udp" | "tcp";

/** Options of {@linkcode DnsQueryHandler}. */
export interface DnsQueryHandlerOptions {
  readonly zone: ClusterZone;
  readonly forwarder: DnsForwarder;
  /** Whether the cluster records are complete (the informers' first lists are in). */
  readonly synced: () => boolean;
  /** The largest UDP reply sent and advertised. @default {DEFAULT_UDP_PAYLOAD_BYTES} */
  readonly maxUdpPayloadBytes?: number;
  /** Forwarded queries in flight at most; more are dropped (the client retries). @default {1024} */
  readonly maxPendingForwards?: number;
  /**
   * A number that changes whenever the cluster records change (the index's change count): it
   * keys the reply cache, which is off without it.
   */
  readonly generation?: () => number;
  /** Encoded cluster replies kept for repeated questions. @default {1024} */
  readonly replyCacheSize?: number;
}

/** Counters of the handler. */
export interface QueryHandlerStats {
  readonly queries: number;
  /** Cluster questions answered from the reply cache. */
  readonly replyCacheHits: number;
  readonly dropped: number;
  readonly errors: number;
}

/** A reply, now or once forwarded; undefined: send nothing. */
export type HandlerResult = Uint8Array | undefined | Promise<Uint8Array | undefined>;

/** Bytes to a string one to one (windows-1252 as WHATWG decodes it maps every byte). */
const LATIN1 = new TextDecoder("latin1");

/** The most CNAMEs followed for one answer. */
const MAX_CHASE = 8;

/** Answers DNS queries (see the module doc). */
export class DnsQueryHandler {
  readonly #zone: ClusterZone;
  readonly #forwarder: DnsForwarder;
  readonly #synced: () => boolean;
  readonly #maxUdp: number;
  readonly #maxPending: number;
  readonly #generation: (() => number) | undefined;
  readonly #replyCacheSize: number;
  /** Query bytes after the ID (and the transport) → the reply; cleared when records change. */
  readonly #replies = new Map<string, Uint8Array>();
  #repliesGeneration = NaN;
  #pending = 0;
  #stats = { queries: 0, replyCacheHits: 0, dropped: 0, errors: 0 };

  constructor(options: DnsQueryHandlerOptions) {
    this.#zone = options.zone;
    this.#forwarder = options.forwarder;
    this.#synced = options.synced;
    this.#maxUdp = options.maxUdpPayloadBytes ?? DEFAULT_UDP_PAYLOAD_BYTES;
    this.#maxPending = options.maxPendingForwards ?? 1024;
    this.#generation = options.generation;
    this.#replyCacheSize = options.generation ? options.replyCacheSize ?? 1024 : 0;
  }

  /** What the handler has done so far. */
  get stats(): QueryHandlerStats {
    return { ...this.#stats };
  }

  /**
   * The reply to the message `bytes`: synchronous for cluster names, a promise when it had to
   * be forwarded. Never throws.
   */
  handle(bytes: Uint8Array, transport: DnsTransportKind): HandlerResult {
    this.#stats.queries++;
    const key = this.#replyKey(bytes, transport);
    if (key !== undefined) {
      const hit = this.#replies.get(key);
      if (hit) {
        this.#stats.replyCacheHits++;
        const reply = new Uint8Array(hit);
        reply[0] = bytes[0]!;
        reply[1] = bytes[1]!;
        return reply;
      }
    }
    const parsed = parseQuery(bytes);
    if (parsed.kind === "drop") {
      this.#stats.dropped++;
      return undefined;
    }
    if (parsed.kind === "reply") return parsed.bytes;
    const query = parsed.query;
    const maxBytes = transport === "tcp" ? MAX_MESSAGE_BYTES : udpLimitOf(query, this.#maxUdp);
    try {
      const lname = query.question.name.toLowerCase();
      if (this.#zone.contains(lname)) {
        if (!this.#synced()) return this.#encode(query, failure(RCODE.SERVFAIL), maxBytes);
        if (query.question.class !== "IN" && query.question.class !== "ANY") {
          return this.#encode(query, failure(RCODE.REFUSED), maxBytes);
        }
        if (query.question.type === "AXFR" || query.question.type === "IXFR") {
          return this.#encode(query, failure(RCODE.REFUSED), maxBytes);
        }
        const answer = this.#zone.answer(query.question);
        if (answer.chase) return this.#chase(query, answer, maxBytes);
        return this.#remember(key, answer, this.#encode(query, authoritative(answer), maxBytes));
      }
      if (this.#synced() && (lname.endsWith(".in-addr.arpa") || lname.endsWith(".ip6.arpa"))) {
        const answer = this.#zone.reverse(query.question);
        if (answer) {
          return this.#remember(key, answer, this.#encode(query, authoritative(answer), maxBytes));
        }
      }
      return this.#forward(query, maxBytes);
    } catch {
      this.#stats.errors++;
      return encodeServerFailure(query);
    }
  }

  /**
   * The reply cache's key for a query: the transport and every byte after the ID (flags,
   * question as spelled, EDNS size), so a hit is the exact reply the query would get. Undefined
   * when the cache is off. Clears the cache when the records have changed.
   */
  #replyKey(bytes: Uint8Array, transport: DnsTransportKind): string | undefined {
    if (this.#replyCacheSize === 0 || bytes.byteLength < 12 || bytes.byteLength > 512) {
      return undefined;
    }
    const generation = this.#generation!();
    if (generation !== this.#repliesGeneration) {
      this.#replies.clear();
      this.#repliesGeneration = generation;
    }
    return (transport === "tcp" ? "t" : "u") + LATIN1.decode(bytes.subarray(2));
  }

  /** Keeps a cluster reply for its key, unless its addresses rotate (more than one). */
  #remember(key: string | undefined, answer: ZoneAnswer, reply: Uint8Array): Uint8Array {
    if (key === undefined || !this.#synced()) return reply;
    let addresses = 0;
    for (const r of answer.answers) if (r.type === "A" || r.type === "AAAA") addresses++;
    if (addresses > 1) return reply;
    if (this.#replies.size >= this.#replyCacheSize) {
      this.#replies.delete(this.#replies.keys().next().value!);
    }
    // A copy that is a plain Uint8Array (the encoder's Buffer would slice() to a view).
    this.#replies.set(key, new Uint8Array(reply));
    return reply;
  }

  async #forward(query: DnsQuery, maxBytes: number): Promise<Uint8Array | undefined> {
    if (this.#pending >= this.#maxPending) {
      this.#stats.dropped++;
      return undefined;
    }
    this.#pending++;
    try {
      const answer = await this.#forwarder.resolve(query.question, {
        dnssecOk: query.edns?.dnssecOk ?? false,
        checkingDisabled: query.checkingDisabled,
      });
      return this.#encode(query, {
        rcode: answer.rcode,
        authoritative: false,
        // AD only for clients that said they understand it (RFC 6840 §5.8).
        authenticData: answer.authenticData &&
          (query.edns?.dnssecOk === true || query.authenticData),
        answers: answer.answers,
        authorities: answer.authorities,
        additionals: answer.additionals,
      }, maxBytes);
    } catch {
      this.#stats.errors++;
      return encodeServerFailure(query);
    } finally {
      this.#pending--;
    }
  }

  /** Follows an ExternalName CNAME (in the zone or upstream) and appends what it finds. */
  async #chase(query: DnsQuery, first: ZoneAnswer, maxBytes: number): Promise<Uint8Array> {
    try {
      const answers: DnsRecord[] = [...first.answers];
      let rcode = first.rcode;
      let authorities = first.authorities;
      let next = first.chase;
      for (let hops = 0; next && hops < MAX_CHASE; hops++) {
        const question = { name: next.name, type: next.type, class: "IN" };
        if (this.#zone.contains(next.name)) {
          const answer = this.#zone.answer(question);
          answers.push(...answer.answers);
          rcode = answer.rcode;
          authorities = answer.authorities;
          next = answer.chase;
          continue;
        }
        const answer = await this.#forwarder.resolve(question, {
          dnssecOk: false,
          checkingDisabled: query.checkingDisabled,
        });
        // An upstream failure leaves the CNAME alone (the client can follow it itself).
        if (answer.rcode !== RCODE.SERVFAIL) {
          answers.push(...answer.answers);
          rcode = answer.rcode;
          authorities = answer.answers.length > 0 ? [] : answer.authorities;
        }
        next = undefined;
      }
      return this.#encode(query, {
        rcode,
        authoritative: true,
        answers,
        authorities,
        additionals: [],
      }, maxBytes);
    } catch {
      this.#stats.errors++;
      return encodeServerFailure(query);
    }
  }

  #encode(query: DnsQuery, reply: DnsReply, maxBytes: number): Uint8Array {
    try {
      return encodeReply(query, { reply, maxBytes, advertisedPayloadBytes: this.#maxUdp });
    } catch {
      // A record the encoder cannot write (an odd upstream record).
      this.#stats.errors++;
      return encodeServerFailure(query);
    }
  }
}

function failure(rcode: number): DnsReply {
  return { rcode, authoritative: false, answers: [], authorities: [], additionals: [] };
}

function authoritative(answer: ZoneAnswer): DnsReply {
  return {
    rcode: answer.rcode,
    authoritative: true,
    answers: answer.answers,
    authorities: answer.authorities,
    additionals: answer.additionals,
  };
}
