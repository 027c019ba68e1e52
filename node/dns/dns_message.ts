/**
 * DNS messages on the wire for the cluster DNS, through the `dns-packet` library: reading a
 * query ({@linkcode parseQuery}: malformed input becomes a FORMERR reply or is dropped, never an
 * exception), writing a reply ({@linkcode encodeReply}: header flags, the EDNS0 OPT record and
 * truncation to the client's UDP payload size) and the upstream side's
 * {@linkcode encodeUpstreamQuery} / {@linkcode decodeUpstreamReply}.
 *
 * Names are as `dns-packet` gives them: no trailing dot, `.` for the root.
 *
 * @module
 */
// @ts-types="@types/dns-packet"
import * as dnsPacket from "dns-packet";
import { Buffer } from "node:buffer";

/** One resource record, as `dns-packet` reads and writes it. */
export type DnsRecord = dnsPacket.Answer;

/** Response codes (RFC 1035, RFC 6891 for BADVERS, which needs EDNS). */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;

/** The UDP payload size a client without EDNS0 may receive (RFC 1035). */
export const CLASSIC_UDP_PAYLOAD_BYTES = 512;

/**
 * The UDP payload size skiff advertises and sends at most: 1232 bytes, the DNS flag day 2020
 * value that avoids IP fragmentation on any path with an MTU of 1280 or more.
 */
export const DEFAULT_UDP_PAYLOAD_BYTES = 1232;

/** The largest DNS message (TCP's 16-bit length prefix). */
export const MAX_MESSAGE_BYTES = 65535;

/** The question of a query; `type` and `class` as `dns-packet` names them (`A`, `IN`). */
export interface DnsQuestion {
  readonly name: string;
  readonly type: string;
  readonly class: string;
}

/** What a query's OPT record said. */
export interface EdnsInfo {
  readonly udpPayloadSize: number;
  readonly version: number;
  readonly dnssecOk: boolean;
}

/** A well-formed standard query with one question. */
export interface DnsQuery {
  readonly id: number;
  readonly recursionDesired: boolean;
  readonly checkingDisabled: boolean;
  readonly authenticData: boolean;
  readonly question: DnsQuestion;
  /** Unset when the query carried no OPT record. */
  readonly edns: EdnsInfo | undefined;
}

/** What {@linkcode parseQuery} made of a datagram or TCP frame. */
export type ParsedQuery =
  | { readonly kind: "query"; readonly query: DnsQuery }
  /** An error reply to send as is (FORMERR, NOTIMP, BADVERS). */
  | { readonly kind: "reply"; readonly bytes: Uint8Array }
  /** Nothing to answer: too short to carry an ID, or a response rather than a query. */
  | { readonly kind: "drop" };

/** An answer to put into a reply. */
export interface DnsReply {
  /** Up to 12 bits: values above 15 need the OPT record's extended RCODE. */
  readonly rcode: number;
  readonly authoritative: boolean;
  /** The AD bit (only from a validating upstream). @default {false} */
  readonly authenticData?: boolean;
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  /** Without OPT: {@linkcode encodeReply} adds its own. */
  readonly additionals: readonly DnsRecord[];
}

/** What {@linkcode encodeReply} writes and its limits. */
export interface EncodeReplyOptions {
  readonly reply: DnsReply;
  /** The most bytes the reply may take: the client's UDP limit, or 65535 over TCP. */
  readonly maxBytes: number;
  /** The UDP payload size to advertise in the OPT record. @default {DEFAULT_UDP_PAYLOAD_BYTES} */
  readonly advertisedPayloadBytes?: number;
}

const OPCODE_QUERY = 0;
const FLAG_AA = 1 << 10;
const FLAG_TC = 1 << 9;
const FLAG_RD = 1 << 8;
const FLAG_RA = 1 << 7;
const FLAG_AD = 1 << 5;
const FLAG_CD = 1 << 4;

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function opcodeOf(bytes: Uint8Array): number {
  return (bytes[2]! >> 3) & 0xf;
}

/** A header-only error reply to the query in `bytes` (ID, opcode and RD copied). */
function headerOnlyReply(bytes: Uint8Array, rcode: number): Uint8Array {
  const opcode = opcodeOf(bytes);
  const rd = (bytes[2]! & 1) === 1;
  return dnsPacket.encode({
    type: "response",
    id: (bytes[0]! << 8) | bytes[1]!,
    flags: (opcode << 11) | (rd ? FLAG_RD : 0) | FLAG_RA | rcode,
    questions: [],
  });
}

function optRecord(
  payloadBytes: number,
  rcode: number,
  dnssecOk: boolean,
): DnsRecord {
  return {
    type: "OPT",
    name: ".",
    udpPayloadSize: payloadBytes,
    extendedRcode: rcode >> 4,
    ednsVersion: 0,
    flags: dnssecOk ? dnsPacket.DNSSEC_OK : 0,
    flag_do: dnssecOk,
    options: [],
  };
}

/**
 * Encodes `packet`, whose length is known, into a buffer of that size (`dns-packet` would
 * measure it again).
 */
function encodeSized(packet: dnsPacket.Packet, length: number): Uint8Array {
  const buf = Buffer.allocUnsafe(length);
  dnsPacket.encode(packet, buf, 0);
  // Never send bytes the encoder did not write (allocUnsafe memory is not zeroed).
  return dnsPacket.encode.bytes === length ? buf : buf.subarray(0, dnsPacket.encode.bytes);
}

/**
 * Reads one query. Short garbage and responses are dropped; a message that does not decode,
 * has no or several questions or several OPT records gets FORMERR; another opcode NOTIMP; an
 * EDNS version above 0 BADVERS (RFC 6891).
 */
export function parseQuery(bytes: Uint8Array): ParsedQuery {
  if (bytes.byteLength < 12) return { kind: "drop" };
  if ((bytes[2]! & 0x80) !== 0) return { kind: "drop" };
  const opcode = opcodeOf(bytes);
  if (opcode !== OPCODE_QUERY) {
    return { kind: "reply", bytes: headerOnlyReply(bytes, RCODE.NOTIMP) };
  }
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(toBuffer(bytes));
  } catch {
    return { kind: "reply", bytes: headerOnlyReply(bytes, RCODE.FORMERR) };
  }
  const questions = packet.questions ?? [];
  const opts = (packet.additionals ?? []).filter((r): r is dnsPacket.OptAnswer => r.type === "OPT");
  const q = questions[0];
  if (questions.length !== 1 || q === undefined || opts.length > 1) {
    return { kind: "reply", bytes: headerOnlyReply(bytes, RCODE.FORMERR) };
  }
  const opt = opts[0];
  const query: DnsQuery = {
    id: packet.id ?? 0,
    recursionDesired: packet.flag_rd,
    checkingDisabled: packet.flag_cd,
    authenticData: packet.flag_ad,
    question: { name: q.name, type: q.type, class: q.class ?? "IN" },
    edns: opt
      ? {
        udpPayloadSize: opt.udpPayloadSize,
        version: opt.ednsVersion,
        dnssecOk: (opt.flags & dnsPacket.DNSSEC_OK) !== 0,
      }
      : undefined,
  };
  if (query.edns && query.edns.version > 0) {
    const reply = { rcode: RCODE.BADVERS, authoritative: false } as const;
    return {
      kind: "reply",
      bytes: encodeReply(query, {
        reply: { ...reply, answers: [], authorities: [], additionals: [] },
        maxBytes: CLASSIC_UDP_PAYLOAD_BYTES,
      }),
    };
  }
  return { kind: "query", query };
}

/** The most bytes a UDP reply to `query` may take, given what the server sends at most. */
export function udpLimitOf(query: DnsQuery, serverMaxBytes: number): number {
  const asked = query.edns ? Math.max(CLASSIC_UDP_PAYLOAD_BYTES, query.edns.udpPayloadSize) : 512;
  return Math.min(asked, Math.max(CLASSIC_UDP_PAYLOAD_BYTES, serverMaxBytes));
}

/**
 * Writes the reply to `query`: its ID, its question as asked (case kept), RD and CD copied, RA
 * set, an OPT record when the query had one (DO echoed). A reply longer than
 * `options.maxBytes` loses its additional section first; if still too long it keeps as many
 * answers as fit and sets TC (clients that retry over TCP get everything; those that do not,
 * such as older musl, still get usable answers).
 */
export function encodeReply(query: DnsQuery, options: EncodeReplyOptions): Uint8Array {
  const reply = options.reply;
  const opt = query.edns
    ? [optRecord(
      options.advertisedPayloadBytes ?? DEFAULT_UDP_PAYLOAD_BYTES,
      reply.rcode,
      query.edns.dnssecOk,
    )]
    : [];
  const baseFlags = (query.recursionDesired ? FLAG_RD : 0) | FLAG_RA |
    (query.checkingDisabled ? FLAG_CD : 0) | (reply.authoritative ? FLAG_AA : 0) |
    (reply.authenticData ? FLAG_AD : 0) | (reply.rcode & 0xf);
  const packet = (
    answers: readonly DnsRecord[],
    authorities: readonly DnsRecord[],
    additionals: readonly DnsRecord[],
    truncated: boolean,
  ): dnsPacket.Packet => ({
    type: "response",
    id: query.id,
    flags: baseFlags | (truncated ? FLAG_TC : 0),
    questions: [{
      name: query.question.name,
      type: query.question.type as dnsPacket.RecordType,
      class: query.question.class as dnsPacket.RecordClass,
    }],
    answers: [...answers],
    authorities: [...authorities],
    additionals: [...additionals, ...opt],
  });
  const full = packet(reply.answers, reply.authorities, reply.additionals, false);
  const fullBytes = dnsPacket.encodingLength(full);
  if (fullBytes <= options.maxBytes) return encodeSized(full, fullBytes);
  const lean = packet(reply.answers, reply.authorities, [], false);
  const leanBytes = dnsPacket.encodingLength(lean);
  if (leanBytes <= options.maxBytes) return encodeSized(lean, leanBytes);
  // Keep the longest prefix of the answers that fits (binary search over the count).
  let lo = 0;
  let hi = reply.answers.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const size = dnsPacket.encodingLength(packet(reply.answers.slice(0, mid), [], [], true));
    if (size <= options.maxBytes) lo = mid;
    else hi = mid - 1;
  }
  return dnsPacket.encode(packet(reply.answers.slice(0, lo), [], [], true));
}

/** Writes a SERVFAIL reply (nothing else could be written for `query`). */
export function encodeServerFailure(query: DnsQuery): Uint8Array {
  return encodeReply(query, {
    reply: {
      rcode: RCODE.SERVFAIL,
      authoritative: false,
      answers: [],
      authorities: [],
      additionals: [],
    },
    maxBytes: CLASSIC_UDP_PAYLOAD_BYTES,
  });
}

/** Options of {@linkcode encodeUpstreamQuery}. */
export interface UpstreamQueryOptions {
  readonly id: number;
  readonly dnssecOk: boolean;
  readonly checkingDisabled: boolean;
  /** @default {DEFAULT_UDP_PAYLOAD_BYTES} */
  readonly payloadBytes?: number;
}

/** A recursive query for `question` to an upstream server, with EDNS0. */
export function encodeUpstreamQuery(
  question: DnsQuestion,
  options: UpstreamQueryOptions,
): Uint8Array {
  return dnsPacket.encode({
    type: "query",
    id: options.id,
    flags: FLAG_RD | (options.checkingDisabled ? FLAG_CD : 0),
    questions: [{
      name: question.name,
      type: question.type as dnsPacket.RecordType,
      class: question.class as dnsPacket.RecordClass,
    }],
    additionals: [
      optRecord(options.payloadBytes ?? DEFAULT_UDP_PAYLOAD_BYTES, 0, options.dnssecOk),
    ],
  });
}

/** An upstream server's reply, as far as the forwarder needs it. */
export interface UpstreamReply {
  readonly id: number;
  /** With the OPT record's extended bits. */
  readonly rcode: number;
  readonly truncated: boolean;
  readonly authenticData: boolean;
  readonly question: DnsQuestion | undefined;
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  /** Without OPT. */
  readonly additionals: readonly DnsRecord[];
}

/** Reads an upstream reply; throws a `SyntaxError` when it is not a well-formed response. */
export function decodeUpstreamReply(bytes: Uint8Array): UpstreamReply {
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(toBuffer(bytes));
  } catch (err) {
    throw new SyntaxError("Cannot decode an upstream DNS reply", { cause: err });
  }
  if (!packet.flag_qr) throw new SyntaxError("Cannot use an upstream DNS message: not a response");
  const additionals = packet.additionals ?? [];
  const opt = additionals.find((r): r is dnsPacket.OptAnswer => r.type === "OPT");
  const q = packet.questions?.[0];
  return {
    id: packet.id ?? 0,
    rcode: ((packet.flags ?? 0) & 0xf) | ((opt?.extendedRcode ?? 0) << 4),
    truncated: packet.flag_tc,
    authenticData: packet.flag_ad,
    question: q ? { name: q.name, type: q.type, class: q.class ?? "IN" } : undefined,
    answers: packet.answers ?? [],
    authorities: packet.authorities ?? [],
    additionals: additionals.filter((r) => r.type !== "OPT"),
  };
}
