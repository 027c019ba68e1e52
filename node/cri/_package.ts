/**
 * The loaded CRI package: gRPC method definitions (path, serializer, deserializer) of both
 * services, built from the embedded descriptor on first use and kept.
 *
 * @module
 */
import { fromJSON, type MethodDefinition, type ServiceDefinition } from "@grpc/proto-loader";
import { CRI_DESCRIPTOR, CRI_PACKAGE } from "./descriptor.ts";

/** Decoding options: 64-bit integers as decimal strings, enums by name, defaults filled in. */
const LOADER_OPTIONS = { longs: String, enums: String, defaults: true, oneofs: true } as const;

/** The two CRI services. */
export type CriServiceName = "RuntimeService" | "ImageService";

// deno-lint-ignore no-explicit-any
export type CriMethod = MethodDefinition<any, any>;

let loaded: Readonly<Record<CriServiceName, ServiceDefinition>> | undefined;

function load(): Readonly<Record<CriServiceName, ServiceDefinition>> {
  if (loaded) return loaded;
  const definition = fromJSON(CRI_DESCRIPTOR, LOADER_OPTIONS);
  loaded = {
    RuntimeService: definition[`${CRI_PACKAGE}.RuntimeService`] as ServiceDefinition,
    ImageService: definition[`${CRI_PACKAGE}.ImageService`] as ServiceDefinition,
  };
  return loaded;
}

/** The definition of `service`'s RPC `method`; throws a TypeError for an unknown one. */
export function criMethod(service: CriServiceName, method: string): CriMethod {
  const found = load()[service][method];
  if (!found) throw new TypeError(`Unknown CRI method "${service}/${method}"`);
  return found;
}

/** The names of `service`'s RPCs. */
export function criMethodNames(service: CriServiceName): string[] {
  return Object.keys(load()[service]);
}
