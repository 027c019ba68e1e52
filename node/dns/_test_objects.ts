/**
 * Test fixtures of the cluster DNS: API objects in a line ({@linkcode service},
 * {@linkcode endpointSlice}, {@linkcode namespace}), queries as bytes ({@linkcode queryBytes})
 * and records and replies as short strings ({@linkcode showRecord}, {@linkcode decodeReply}).
 *
 * @module
 */
// @ts-types="@types/dns-packet"
import * as dnsPacket from "dns-packet";
import { Buffer } from "node:buffer";
import type { Namespace } from "../../control/api/types/core_v1_namespace.ts";
import type { Service, ServiceSpec } from "../../control/api/types/core_v1_service.ts";
import type { Endpoint, EndpointSlice } from "../../control/api/types/discovery_v1.ts";
import type { DnsRecord } from "./dns_message.ts";

/** A Service `namespace/name` with `spec`. */
export function service(key: string, spec: ServiceSpec): Service {
  const [namespace, name] = key.split("/") as [string, string];
  return { apiVersion: "v1", kind: "Service", metadata: { namespace, name }, spec };
}

/** What {@linkcode endpointSlice} makes. */
export interface TestSlice {
  /** `namespace/name` of the slice. */
  readonly key: string;
  readonly service: string;
  readonly addressType?: "IPv4" | "IPv6" | "FQDN";
  readonly endpoints: readonly Endpoint[];
  readonly ports?: EndpointSlice["ports"];
}

/** An EndpointSlice labelled for its Service. */
export function endpointSlice(slice: TestSlice): EndpointSlice {
  const [namespace, name] = slice.key.split("/") as [string, string];
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { namespace, name, labels: { "kubernetes.io/service-name": slice.service } },
    addressType: slice.addressType ?? "IPv4",
    endpoints: [...slice.endpoints],
    ...(slice.ports ? { ports: slice.ports } : {}),
  };
}

/** A Namespace. */
export function namespace(name: string): Namespace {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name } };
}

/** A record as `name ttl TYPE data` (SRV data `priority weight port target`). */
export function showRecord(r: DnsRecord): string {
  const ttl = "ttl" in r ? r.ttl : undefined;
  let data: string;
  switch (r.type) {
    case "SRV":
      data = `${r.data.priority} ${r.data.weight} ${r.data.port} ${r.data.target}`;
      break;
    case "SOA":
      data = `${r.data.mname} ${r.data.rname} ${r.data.minimum}`;
      break;
    case "TXT": {
      const parts = Array.isArray(r.data) ? r.data : [r.data];
      data = parts.map((p) => typeof p === "string" ? p : new TextDecoder().decode(p)).join(" ");
      break;
    }
    case "OPT":
      data = `${r.udpPayloadSize}`;
      break;
    default:
      data = String((r as { data?: unknown }).data);
  }
  return `${r.name} ${ttl ?? "-"} ${r.type} ${data}`;
}

/** Options of {@linkcode queryBytes}. */
export interface TestQuery {
  readonly id?: number;
  /** An OPT record with this UDP payload size. */
  readonly edns?: number;
  readonly dnssecOk?: boolean;
  readonly ednsVersion?: number;
  readonly class?: dnsPacket.RecordClass;
}

/** A query for `name` and `type` as bytes. */
export function queryBytes(
  question: { readonly name: string; readonly type: string },
  options: TestQuery = {},
): Uint8Array {
  // A copy: a Buffer's slice() is a view, a Uint8Array's a copy (tests edit bytes).
  return new Uint8Array(dnsPacket.encode({
    type: "query",
    id: options.id ?? 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{
      name: question.name,
      type: question.type as dnsPacket.RecordType,
      class: options.class ?? "IN",
    }],
    additionals: options.edns === undefined ? [] : [{
      type: "OPT",
      name: ".",
      udpPayloadSize: options.edns,
      extendedRcode: 0,
      ednsVersion: options.ednsVersion ?? 0,
      flags: options.dnssecOk ? dnsPacket.DNSSEC_OK : 0,
      flag_do: options.dnssecOk ?? false,
      options: [],
    }],
  }));
}

/** A decoded reply, the parts tests look at. */
export interface ShownReply {
  readonly id: number;
  readonly rcode: string;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly ra: boolean;
  readonly question: string;
  readonly answers: string[];
  readonly authorities: string[];
  readonly additionals: string[];
  /** The OPT record, if any. */
  readonly opt: dnsPacket.OptAnswer | undefined;
  readonly sizeBytes: number;
}

/** Decodes a reply for assertions. */
export function decodeReply(bytes: Uint8Array): ShownReply {
  const p = dnsPacket.decode(Buffer.from(bytes));
  const additionals = p.additionals ?? [];
  const opt = additionals.find((r): r is dnsPacket.OptAnswer => r.type === "OPT");
  const header = (p as unknown as { rcode: string }).rcode;
  const q = p.questions?.[0];
  return {
    id: p.id ?? 0,
    rcode: opt?.extendedRcode ? `EXT${(opt.extendedRcode << 4) | ((p.flags ?? 0) & 0xf)}` : header,
    aa: p.flag_aa,
    tc: p.flag_tc,
    ra: p.flag_ra,
    question: q ? `${q.name} ${q.type}` : "",
    answers: (p.answers ?? []).map(showRecord),
    authorities: (p.authorities ?? []).map(showRecord),
    additionals: additionals.filter((r) => r.type !== "OPT").map(showRecord),
    opt,
    sizeBytes: bytes.byteLength,
  };
}

/** An upstream-style reply to `query` (same ID and question) with `answers`. */
export function replyBytes(
  query: Uint8Array,
  reply: {
    readonly rcode?: number;
    readonly answers?: readonly DnsRecord[];
    readonly authorities?: readonly DnsRecord[];
    readonly truncated?: boolean;
    readonly id?: number;
  },
): Uint8Array {
  const q = dnsPacket.decode(Buffer.from(query));
  return new Uint8Array(dnsPacket.encode({
    type: "response",
    id: reply.id ?? q.id ?? 0,
    flags: dnsPacket.RECURSION_AVAILABLE | dnsPacket.RECURSION_DESIRED | (reply.rcode ?? 0) |
      (reply.truncated ? dnsPacket.TRUNCATED_RESPONSE : 0),
    questions: q.questions ?? [],
    answers: [...(reply.answers ?? [])],
    authorities: [...(reply.authorities ?? [])],
  }));
}
