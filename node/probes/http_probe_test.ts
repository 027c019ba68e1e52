import assert from "node:assert/strict";
import { httpProbe, httpProbeUrl } from "./http_probe.ts";
import { ProbeError } from "./probe_result.ts";

function serve(handler: (req: Request) => Response | Promise<Response>) {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
}

Deno.test("httpProbeUrl() joins scheme, host, port and path", () => {
  assert.equal(
    httpProbeUrl({ scheme: "HTTP", host: "10.42.0.5", port: 8080, path: "/healthz" }),
    "http://10.42.0.5:8080/healthz",
  );
  assert.equal(
    httpProbeUrl({ scheme: "HTTPS", host: "fd00::5", port: 443 }),
    "https://[fd00::5]:443",
  );
});

Deno.test("httpProbe() judges a local server's answers", async (t) => {
  let seen: Headers | undefined;
  await using server = serve((req) => {
    const path = new URL(req.url).pathname;
    seen = req.headers;
    switch (path) {
      case "/ok":
        return new Response("fine");
      case "/fail":
        return new Response("bad", { status: 500 });
      case "/hop":
        return new Response(null, { status: 302, headers: { location: "/ok" } });
      case "/away":
        return new Response("moved", {
          status: 302,
          headers: { location: "http://elsewhere.invalid/" },
        });
      case "/loop":
        return new Response(null, { status: 302, headers: { location: "/loop" } });
      case "/big":
        return new Response("x".repeat(20_000));
      default:
        return new Response("nope", { status: 404 });
    }
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const cases = [
    { path: "/ok", result: "success", output: "fine" },
    { path: "/fail", result: "failure", output: "HTTP probe failed with statuscode: 500" },
    { path: "/missing", result: "failure", output: "HTTP probe failed with statuscode: 404" },
    { path: "/hop", result: "success", output: "fine" },
    {
      path: "/away",
      result: "warning",
      output: "Probe terminated redirects, Response body: moved",
    },
    { path: "/loop", result: "failure", output: `Get "${base}/loop": stopped after 10 redirects` },
  ];
  for (const c of cases) {
    await t.step(c.path, async () => {
      const out = await httpProbe({ url: `${base}${c.path}`, timeoutMs: 2000 });
      assert.deepEqual(out, { result: c.result, output: c.output });
    });
  }
  await t.step("the body is cut at 10 KiB", async () => {
    const out = await httpProbe({ url: `${base}/big`, timeoutMs: 2000 });
    assert.equal(out.result, "success");
    assert.equal(out.output.length, 10 * 1024);
  });
  await t.step("default and custom headers are sent", async () => {
    await httpProbe({ url: `${base}/ok`, timeoutMs: 2000 });
    assert.equal(seen?.get("user-agent"), "kube-probe/1.33");
    assert.equal(seen?.get("accept"), "*/*");
    await httpProbe({
      url: `${base}/ok`,
      timeoutMs: 2000,
      headers: [{ name: "X-Custom", value: "a" }, { name: "user-agent", value: "mine" }],
    });
    assert.equal(seen?.get("x-custom"), "a");
    assert.equal(seen?.get("user-agent"), "mine");
  });
});

Deno.test("httpProbe() fails with Go's dial error when the port is closed", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const out = await httpProbe({ url: `http://127.0.0.1:${port}/healthz`, timeoutMs: 1000 });
  assert.deepEqual(out, {
    result: "failure",
    output:
      `Get "http://127.0.0.1:${port}/healthz": dial tcp 127.0.0.1:${port}: connect: connection refused`,
  });
});

Deno.test("httpProbe() fails when the server answers after the timeout", async () => {
  const { promise: release, resolve } = Promise.withResolvers<void>();
  await using server = serve(async () => {
    await release;
    return new Response("late");
  });
  const url = `http://127.0.0.1:${server.addr.port}/slow`;
  const out = await httpProbe({ url, timeoutMs: 100 });
  resolve();
  assert.deepEqual(out, {
    result: "failure",
    output:
      `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
  });
});

async function selfSignedCert(dir: string): Promise<{ cert: string; key: string }> {
  const args = [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${dir}/key.pem`,
    "-out",
    `${dir}/cert.pem`,
    "-days",
    "1",
    "-subj",
    "/CN=probe",
  ];
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" }).output();
  } catch (err) {
    throw new Error("Cannot run openssl to make a test certificate (install openssl)", {
      cause: err,
    });
  }
  if (!out.success) throw new Error(`openssl failed: ${new TextDecoder().decode(out.stderr)}`);
  return {
    cert: await Deno.readTextFile(`${dir}/cert.pem`),
    key: await Deno.readTextFile(`${dir}/key.pem`),
  };
}

Deno.test("httpProbe() does not verify an HTTPS server's certificate", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { cert, key } = await selfSignedCert(dir);
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, cert, key, onListen() {} },
      () => new Response("secure"),
    );
    const out = await httpProbe({ url: `https://127.0.0.1:${server.addr.port}/`, timeoutMs: 2000 });
    assert.deepEqual(out, { result: "success", output: "secure" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("httpProbe() rejects with a ProbeError when the body stalls past the timeout", async () => {
  let cancelBody = (): void => {};
  await using server = serve(() => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("partial"));
        cancelBody = () => controller.close();
      },
    });
    return new Response(body);
  });
  const url = `http://127.0.0.1:${server.addr.port}/stall`;
  await assert.rejects(httpProbe({ url, timeoutMs: 200 }), (err: unknown) => {
    assert.ok(err instanceof ProbeError);
    assert.equal(err.result, "failure");
    assert.equal(
      err.message,
      "context deadline exceeded (Client.Timeout or context cancellation while reading body)",
    );
    return true;
  });
  cancelBody();
});
