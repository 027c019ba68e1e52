/**
 * {@linkcode DnsCache}: the forwarder's cache of upstream answers, bounded in entries and bytes
 * (least recently used out first) so it fits a 1 GB device, with no timers: entries expire when
 * read.
 *
 * How long an answer is kept ({@linkcode cacheTtlSeconds}): a positive answer for the smallest
 * TTL among its answer and authority records; a negative one (NXDOMAIN, or NOERROR without
 * answers) per RFC 2308 §5 for the smaller of its SOA's TTL and SOA minimum, and not at all
 * without a SOA; both capped by a maximum (k3s's Corefile has `cache 30`). Other response codes
 * (SERVFAIL, REFUSED…) are not cached. A hit serves the records with their TTLs counted down.
 *
 * @module
 */
import type { Clock } from "../../control/util/clock.ts";
import { type DnsQuestion, type DnsRecord, RCODE } from "./dns_message.ts";

/** An answer as the cache keeps and serves it. */
export interface CachedAnswer {
  readonly rcode: number;
  readonly authenticData: boolean;
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  readonly additionals: readonly DnsRecord[];
}

/** The limits {@linkcode cacheTtlSeconds} applies. */
export interface CacheTtlLimits {
  readonly maxTtlSeconds: number;
  /** @default {maxTtlSeconds} */
  readonly maxNegativeTtlSeconds?: number;
}

/** Options of {@linkcode DnsCache}. */
export interface DnsCacheOptions extends CacheTtlLimits {
  readonly clock: Clock;
  /** The most answers kept. */
  readonly maxEntries: number;
  /** The most wire bytes kept, over all entries. @default {4 MiB} */
  readonly maxBytes?: number;
}

interface Entry {
  readonly answer: CachedAnswer;
  readonly storedMs: number;
  readonly expiresMs: number;
  readonly sizeBytes: number;
}

/** The cache key of a question: name (lower case), type, class and the DO and CD bits. */
export function cacheKey(
  question: DnsQuestion,
  flags: { readonly dnssecOk: boolean; readonly checkingDisabled: boolean },
): string {
  return `${question.name.toLowerCase()}|${question.type}|${question.class}|${
    flags.dnssecOk ? 1 : 0
  }${flags.checkingDisabled ? 1 : 0}`;
}

function ttlOf(r: DnsRecord): number {
  return "ttl" in r && typeof r.ttl === "number" ? r.ttl : 0;
}

/** How long `answer` may be cached, in seconds (0: not at all); see the module doc. */
export function cacheTtlSeconds(answer: CachedAnswer, limits: CacheTtlLimits): number {
  const negative = answer.rcode === RCODE.NXDOMAIN ||
    (answer.rcode === RCODE.NOERROR && answer.answers.length === 0);
  if (negative) {
    const soa = answer.authorities.find((r) => r.type === "SOA");
    if (!soa || soa.type !== "SOA") return 0;
    const ttl = Math.min(ttlOf(soa), soa.data.minimum ?? 0);
    return Math.max(0, Math.min(ttl, limits.maxNegativeTtlSeconds ?? limits.maxTtlSeconds));
  }
  if (answer.rcode !== RCODE.NOERROR) return 0;
  let ttl = Infinity;
  for (const r of answer.answers) ttl = Math.min(ttl, ttlOf(r));
  for (const r of answer.authorities) ttl = Math.min(ttl, ttlOf(r));
  return Math.max(0, Math.min(ttl, limits.maxTtlSeconds));
}

function withTtl(records: readonly DnsRecord[], elapsedS: number, leftS: number): DnsRecord[] {
  return records.map((r) =>
    r.type === "OPT" ? r : { ...r, ttl: Math.max(0, Math.min(ttlOf(r) - elapsedS, leftS)) }
  );
}

/** A bounded LRU cache of upstream answers (see the module doc). */
export class DnsCache {
  readonly #options: DnsCacheOptions;
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(options: DnsCacheOptions) {
    if (!(options.maxEntries >= 0)) {
      throw new RangeError(`Cannot make a DNS cache of ${options.maxEntries} entries`);
    }
    this.#options = options;
    this.#maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  }

  /** The number of answers kept (expired ones included until read or evicted). */
  get size(): number {
    return this.#entries.size;
  }

  /** The wire bytes of the answers kept. */
  get sizeBytes(): number {
    return this.#bytes;
  }

  /** The answer kept for `key` with its TTLs counted down, or undefined (missing, expired). */
  get(key: string): CachedAnswer | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const now = this.#options.clock.now();
    if (now >= entry.expiresMs) {
      this.#remove(key, entry);
      return undefined;
    }
    // Most recently used last.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    const elapsedS = Math.floor((now - entry.storedMs) / 1000);
    const leftS = Math.ceil((entry.expiresMs - now) / 1000);
    const a = entry.answer;
    return {
      rcode: a.rcode,
      authenticData: a.authenticData,
      answers: withTtl(a.answers, elapsedS, leftS),
      authorities: withTtl(a.authorities, elapsedS, leftS),
      additionals: withTtl(a.additionals, elapsedS, leftS),
    };
  }

  /**
   * Keeps `answer` (its wire size `sizeBytes`) for as long as {@linkcode cacheTtlSeconds}
   * allows; returns that TTL (0: not kept).
   */
  put(key: string, answer: CachedAnswer, sizeBytes: number): number {
    const ttl = cacheTtlSeconds(answer, this.#options);
    const old = this.#entries.get(key);
    if (old) this.#remove(key, old);
    if (ttl <= 0 || this.#options.maxEntries === 0 || sizeBytes > this.#maxBytes) return 0;
    const now = this.#options.clock.now();
    this.#entries.set(key, { answer, storedMs: now, expiresMs: now + ttl * 1000, sizeBytes });
    this.#bytes += sizeBytes;
    while (this.#entries.size > this.#options.maxEntries || this.#bytes > this.#maxBytes) {
      const [oldestKey, oldest] = this.#entries.entries().next().value!;
      this.#remove(oldestKey, oldest);
    }
    return ttl;
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #remove(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= entry.sizeBytes;
  }
}
