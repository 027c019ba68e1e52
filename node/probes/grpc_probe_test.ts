import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  status as grpcStatus,
} from "@grpc/grpc-js";
import { HEALTH_CHECK_PATH, SERVING_STATUSES } from "./_grpc_health.ts";
import { grpcProbe } from "./grpc_probe.ts";

/** The health service for a grpc-js server: its own codecs, independent of the probe's. */
function healthService(): ServiceDefinition {
  return {
    Check: {
      path: HEALTH_CHECK_PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: () => Buffer.alloc(0),
      // HealthCheckRequest: field 1 (0x0a), a length under 128, the name.
      requestDeserialize: (b: Buffer) => ({
        service: b.length === 0 ? "" : b.subarray(2, 2 + b[1]!).toString(),
      }),
      // HealthCheckResponse: field 1 (0x08), the status number.
      responseSerialize: (r: { status: string }) =>
        Buffer.from([0x08, SERVING_STATUSES.indexOf(r.status as "SERVING")]),
      responseDeserialize: () => ({}),
    },
  };
}

async function startHealthServer(
  statuses: Record<string, string>,
): Promise<{ server: Server; port: number }> {
  const server = new Server();
  server.addService(healthService(), {
    Check(
      call: { request: { service: string } },
      callback: (err: { code: number; details: string } | null, value?: unknown) => void,
    ) {
      const s = statuses[call.request.service];
      if (s === undefined) {
        return callback({ code: grpcStatus.NOT_FOUND, details: "unknown service" });
      }
      callback(null, { status: s });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      ServerCredentials.createInsecure(),
      (err, p) => err ? reject(err) : resolve(p),
    )
  );
  return { server, port };
}

function shutdown(server: Server): Promise<void> {
  return new Promise((resolve) => server.tryShutdown(() => resolve()));
}

Deno.test("grpcProbe() checks grpc.health.v1 on a local server", async (t) => {
  const { server, port } = await startHealthServer({ "": "SERVING", sick: "NOT_SERVING" });
  try {
    const cases = [
      { name: "SERVING succeeds", service: "", result: "success", output: "service healthy" },
      {
        name: "NOT_SERVING fails",
        service: "sick",
        result: "failure",
        output: `service unhealthy (responded with "NOT_SERVING")`,
      },
      {
        name: "an RPC error fails",
        service: "other",
        result: "failure",
        output: "error: health rpc probe failed: rpc error: code = NotFound desc = unknown service",
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        const out = await grpcProbe({
          host: "127.0.0.1",
          port,
          service: c.service,
          timeoutMs: 2000,
        });
        assert.deepEqual(out, { result: c.result, output: c.output });
      });
    }
  } finally {
    await shutdown(server);
  }
});

Deno.test("grpcProbe() fails when the server lacks the health service", async () => {
  const server = new Server();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      ServerCredentials.createInsecure(),
      (err, p) => err ? reject(err) : resolve(p),
    )
  );
  try {
    const out = await grpcProbe({ host: "127.0.0.1", port, timeoutMs: 2000 });
    assert.equal(out.result, "failure");
    assert.match(
      out.output,
      /^error: this server does not implement the grpc health protocol \(grpc\.health\.v1\.Health\): /,
    );
  } finally {
    await shutdown(server);
  }
});

Deno.test("grpcProbe() times out connecting when nothing listens", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const out = await grpcProbe({ host: "127.0.0.1", port, timeoutMs: 1000 });
  assert.deepEqual(out, {
    result: "failure",
    output:
      `timeout: failed to connect service "127.0.0.1:${port}" within 1s: context deadline exceeded`,
  });
});
