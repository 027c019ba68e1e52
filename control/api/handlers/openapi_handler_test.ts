import assert from "node:assert/strict";
import { createTestApp } from "../_test_app.ts";
import { openApiV2Format } from "./openapi_handler.ts";

const PROTO = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

Deno.test("openApiV2Format() picks the format kube-openapi would", async (t) => {
  const cases: { accept: string | null; want: "json" | "protobuf" | null }[] = [
    // kubectl 1.27/1.28 ask with the deprecated `@` name.
    { accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf", want: "protobuf" },
    { accept: PROTO, want: "protobuf" },
    { accept: `${PROTO}, application/json`, want: "protobuf" },
    { accept: `${PROTO};q=0.5, application/json`, want: "json" },
    { accept: "application/json", want: "json" },
    { accept: "*/*", want: "json" },
    { accept: null, want: "json" },
    { accept: "", want: "json" },
    { accept: "application/com.github.proto-openapi.spec.v3@v1.0+protobuf", want: null },
    { accept: "text/html", want: null },
  ];
  for (const c of cases) {
    await t.step(String(c.accept), () => assert.equal(openApiV2Format(c.accept), c.want));
  }
});

Deno.test("GET /openapi/v2 answers protobuf to kubectl 1.27's Accept header", async () => {
  await using t = await createTestApp();
  const res = await t.request("/openapi/v2?timeout=32s", {
    headers: { accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf" },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), PROTO);
  const body = new Uint8Array(await res.arrayBuffer());
  // A gnostic Document starts with field 1 (swagger, a string): tag 0x0a, then "2.0".
  assert.deepEqual([...body.slice(0, 5)], [0x0a, 3, 0x32, 0x2e, 0x30]);
});

Deno.test("GET /openapi/v2 answers 406 when nothing offered is served", async () => {
  await using t = await createTestApp();
  const res = await t.request("/openapi/v2", { headers: { accept: "text/html" } });
  await res.body?.cancel();
  assert.equal(res.status, 406);
});
