import assert from "node:assert/strict";
import { tcpProbe } from "./tcp_probe.ts";

Deno.test("tcpProbe() succeeds when a listener accepts", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept().then((conn) => conn.close());
  try {
    const out = await tcpProbe({ host: "127.0.0.1", port: listener.addr.port, timeoutMs: 1000 });
    assert.deepEqual(out, { result: "success", output: "" });
    await accepted;
  } finally {
    listener.close();
  }
});

Deno.test("tcpProbe() fails with Go's dial error when nothing listens", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const out = await tcpProbe({ host: "127.0.0.1", port, timeoutMs: 1000 });
  assert.deepEqual(out, {
    result: "failure",
    output: `dial tcp 127.0.0.1:${port}: connect: connection refused`,
  });
});
