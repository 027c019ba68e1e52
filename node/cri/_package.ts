/**
 * The loaded CRI package: each RPC's path and its message codecs, built from the embedded
 * descriptor on first use and kept ({@linkcode ./_proto_codec.ts}). Decoded messages have
 * 64-bit integers as decimal strings, enums by name and every field present (defaults filled
 * in), as the CRI types in {@linkcode ./types.ts} say. The serializers have the shape gRPC
 * method definitions use, so test servers can serve the same definitions.
 *
 * @module
 */
import type { IMethod } from "protobufjs";
import { CRI_DESCRIPTOR, CRI_PACKAGE } from "./descriptor.ts";
import { ProtoSchema } from "./_proto_codec.ts";

/** The two CRI services. */
export type CriServiceName = "RuntimeService" | "ImageService";

/** One RPC: its path, and the codecs of its request and response. */
export interface CriMethod {
  /** `/runtime.v1.<Service>/<Method>`. */
  readonly path: string;
  readonly requestStream: false;
  readonly responseStream: false;
  readonly originalName: string;
  /** Encodes a request (a plain object of the request type); throws on a bad value. */
  readonly requestSerialize: (value: object) => Uint8Array;
  readonly requestDeserialize: (bytes: Uint8Array) => Record<string, unknown>;
  readonly responseSerialize: (value: object) => Uint8Array;
  /** Decodes a response; throws on bad octets. */
  readonly responseDeserialize: (bytes: Uint8Array) => Record<string, unknown>;
}

let loaded: ReadonlyMap<CriServiceName, ReadonlyMap<string, CriMethod>> | undefined;

function load(): ReadonlyMap<CriServiceName, ReadonlyMap<string, CriMethod>> {
  if (loaded) return loaded;
  const schema = new ProtoSchema(CRI_DESCRIPTOR, CRI_PACKAGE);
  const pkg = CRI_PACKAGE.split(".").reduce(
    (scope, part) => (scope.nested as Record<string, typeof CRI_DESCRIPTOR>)[part]!,
    CRI_DESCRIPTOR,
  );
  const services = new Map<CriServiceName, Map<string, CriMethod>>();
  for (const name of ["RuntimeService", "ImageService"] as const) {
    const service = (pkg.nested as Record<string, { methods: Record<string, IMethod> }>)[name]!;
    const methods = new Map<string, CriMethod>();
    for (const [method, { requestType, responseType }] of Object.entries(service.methods)) {
      const request = schema.codec(requestType);
      const response = schema.codec(responseType);
      methods.set(method, {
        path: `/${CRI_PACKAGE}.${name}/${method}`,
        requestStream: false,
        responseStream: false,
        originalName: method,
        requestSerialize: (value) => request.encode(value),
        requestDeserialize: (bytes) => request.decode(bytes),
        responseSerialize: (value) => response.encode(value),
        responseDeserialize: (bytes) => response.decode(bytes),
      });
    }
    services.set(name, methods);
  }
  loaded = services;
  return loaded;
}

/** The definition of `service`'s RPC `method`; throws a TypeError for an unknown one. */
export function criMethod(service: CriServiceName, method: string): CriMethod {
  const found = load().get(service)?.get(method);
  if (!found) throw new TypeError(`Unknown CRI method "${service}/${method}"`);
  return found;
}

/** The names of `service`'s RPCs. */
export function criMethodNames(service: CriServiceName): string[] {
  return [...load().get(service)?.keys() ?? []];
}
