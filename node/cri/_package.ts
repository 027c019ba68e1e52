/**
 * The loaded CRI package: each RPC's path and its message codecs (protobufjs types built from the
 * embedded descriptor on first use and kept). Decoded messages have 64-bit integers as decimal
 * strings, enums by name and every field present (defaults filled in), as the CRI types in
 * {@linkcode ./types.ts} say. The serializers have the shape gRPC method definitions use, so test
 * servers can serve the same definitions.
 *
 * @module
 */
import protobuf from "protobufjs";
import { CRI_DESCRIPTOR, CRI_PACKAGE } from "./descriptor.ts";

/** Decoding options: 64-bit integers as decimal strings, enums by name, defaults filled in. */
const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

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

function serializer(type: protobuf.Type): (value: object) => Uint8Array {
  return (value) => {
    if (Array.isArray(value)) {
      throw new TypeError(`Cannot encode an array as a ${type.name}`);
    }
    return type.encode(type.fromObject(value as Record<string, unknown>)).finish();
  };
}

function deserializer(type: protobuf.Type): (bytes: Uint8Array) => Record<string, unknown> {
  return (bytes) => type.toObject(type.decode(bytes), TO_OBJECT);
}

function load(): ReadonlyMap<CriServiceName, ReadonlyMap<string, CriMethod>> {
  if (loaded) return loaded;
  const root = protobuf.Root.fromJSON(CRI_DESCRIPTOR);
  root.resolveAll();
  const services = new Map<CriServiceName, Map<string, CriMethod>>();
  for (const name of ["RuntimeService", "ImageService"] as const) {
    const service = root.lookupService(`${CRI_PACKAGE}.${name}`);
    const methods = new Map<string, CriMethod>();
    for (const method of service.methodsArray) {
      const request = method.resolvedRequestType!;
      const response = method.resolvedResponseType!;
      methods.set(method.name, {
        path: `/${CRI_PACKAGE}.${name}/${method.name}`,
        requestStream: false,
        responseStream: false,
        originalName: method.name,
        requestSerialize: serializer(request),
        requestDeserialize: deserializer(request),
        responseSerialize: serializer(response),
        responseDeserialize: deserializer(response),
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
