/**
 * The `grpc.health.v1` protocol as an embedded protobufjs JSON descriptor (only `Health/Check`),
 * loaded into grpc-js method definitions on first use. Imported lazily by
 * {@linkcode ./grpc_probe.ts} so that loading skiff does not load grpc-js.
 *
 * @module
 */
import { fromJSON, type MethodDefinition, type ServiceDefinition } from "@grpc/proto-loader";
import type { INamespace } from "protobufjs";

/** The protobuf package of the health service. */
export const HEALTH_PACKAGE = "grpc.health.v1";

/** The serving statuses, by number. */
export const SERVING_STATUSES = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"] as const;

const HEALTH_DESCRIPTOR: INamespace = {
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: "string", id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: "ServingStatus", id: 1 } },
                  nested: {
                    ServingStatus: {
                      values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 },
                    },
                  },
                },
                Health: {
                  methods: {
                    Check: {
                      requestType: "HealthCheckRequest",
                      responseType: "HealthCheckResponse",
                      comment: "",
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

/** A HealthCheckRequest. */
export interface HealthCheckRequest {
  readonly service: string;
}

/** A HealthCheckResponse, its status by name. */
export interface HealthCheckResponse {
  readonly status: string;
}

let loaded: ServiceDefinition | undefined;

/** The `grpc.health.v1.Health` service definition (for a client, or a server in tests). */
export function healthService(): ServiceDefinition {
  if (loaded) return loaded;
  const definition = fromJSON(HEALTH_DESCRIPTOR, {
    enums: String,
    defaults: true,
  });
  loaded = definition[`${HEALTH_PACKAGE}.Health`] as ServiceDefinition;
  return loaded;
}

/** The definition of `Health/Check`. */
export function healthCheckMethod(): MethodDefinition<HealthCheckRequest, HealthCheckResponse> {
  return healthService()["Check"] as MethodDefinition<HealthCheckRequest, HealthCheckResponse>;
}
