import assert from "node:assert/strict";
import { decodeHealthCheckResponse, encodeHealthCheckRequest } from "./_grpc_health.ts";

Deno.test("encodeHealthCheckRequest() writes field 1 as a string", async (t) => {
  const cases: [service: string, octets: number[]][] = [
    ["", []],
    ["svc", [0x0a, 3, 0x73, 0x76, 0x63]],
    ["x".repeat(200), [0x0a, 0xc8, 0x01, ...Array(200).fill(0x78)]],
  ];
  for (const [service, octets] of cases) {
    await t.step(JSON.stringify(service.slice(0, 5)), () => {
      assert.deepEqual(encodeHealthCheckRequest(service), Uint8Array.from(octets));
    });
  }
});

Deno.test("decodeHealthCheckResponse() reads the status, skipping other fields", async (t) => {
  const cases: [name: string, octets: number[], status: string][] = [
    ["empty: the default", [], "UNKNOWN"],
    ["SERVING", [0x08, 1], "SERVING"],
    ["NOT_SERVING after unknown fields", [0x12, 1, 0x41, 0x1d, 0, 0, 0, 0, 0x08, 2], "NOT_SERVING"],
    ["SERVICE_UNKNOWN", [0x08, 3], "SERVICE_UNKNOWN"],
    ["a number outside the enum", [0x08, 7], "7"],
  ];
  for (const [name, octets, status] of cases) {
    await t.step(
      name,
      () => assert.equal(decodeHealthCheckResponse(Uint8Array.from(octets)), status),
    );
  }
  await t.step("truncated", () => {
    assert.throws(() => decodeHealthCheckResponse(Uint8Array.of(0x12, 5, 1)), SyntaxError);
    assert.throws(() => decodeHealthCheckResponse(Uint8Array.of(0x08)), SyntaxError);
  });
});
