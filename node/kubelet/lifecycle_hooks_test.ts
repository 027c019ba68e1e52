import assert from "node:assert/strict";
import type { Container, Pod } from "../../control/api/types/core_v1_pod.ts";
import { FakeClock } from "../../control/util/clock.ts";
import { FakeRuntime } from "./_fake_runtime.ts";
import { formatPod, runLifecycleHook } from "./lifecycle_hooks.ts";

const POD: Pod = {
  metadata: { name: "web", namespace: "default", uid: "u1" },
  spec: { containers: [] },
};
const CONTAINER: Container = { name: "app", ports: [{ name: "http", containerPort: 8080 }] };

function ctx(overrides: { readonly fetch?: typeof fetch } = {}) {
  const clock = new FakeClock(0);
  const runtime = new FakeRuntime(clock);
  return {
    pod: POD,
    container: CONTAINER,
    containerId: "c1",
    runtime,
    clock,
    podIp: "10.42.0.7",
    timeoutSeconds: 30,
    ...overrides,
  };
}

Deno.test("formatPod() prints name_namespace(uid)", () => {
  assert.equal(formatPod(POD), "web_default(u1)");
});

Deno.test("runLifecycleHook() runs an exec handler through ExecSync", async () => {
  const c = ctx();
  assert.equal(await runLifecycleHook({ exec: { command: ["touch", "/ready"] } }, c), undefined);
  assert.deepEqual(c.runtime.calls, ["ExecSync c1 touch /ready"]);
  c.runtime.exec = () =>
    Promise.resolve({
      stdout: new TextEncoder().encode("bad\n"),
      stderr: new Uint8Array(),
      exitCode: 2,
    });
  assert.equal(
    await runLifecycleHook({ exec: { command: ["sh", "-c", "exit 2"] } }, c),
    `Exec lifecycle hook ([sh -c exit 2]) for Container "app" in Pod "web_default(u1)" failed - error: command 'sh -c exit 2' exited with 2: bad\n, message: "bad\\n"`,
  );
});

Deno.test("runLifecycleHook() sends httpGet to the pod IP and a named port", async () => {
  const seen: string[] = [];
  const fakeFetch = (input: string | URL | Request, init?: RequestInit) => {
    seen.push(`${String(input)} ${new Headers(init?.headers).get("x-hook")}`);
    return Promise.resolve(
      new Response("ok", { status: String(input).includes("fail") ? 500 : 200 }),
    );
  };
  const c = ctx({ fetch: fakeFetch as typeof fetch });
  const handler = {
    httpGet: { path: "/hook", port: "http", httpHeaders: [{ name: "X-Hook", value: "1" }] },
  };
  assert.equal(await runLifecycleHook(handler, c), undefined);
  assert.deepEqual(seen, ["http://10.42.0.7:8080/hook 1"]);
  assert.equal(
    await runLifecycleHook({ httpGet: { path: "/fail", port: 9000, host: "127.0.0.1" } }, c),
    'HTTP lifecycle hook (/fail) for Container "app" in Pod "web_default(u1)" failed - error: HTTP lifecycle hook failed with status code 500',
  );
});

Deno.test("runLifecycleHook() sleeps for a sleep handler", async () => {
  const c = ctx();
  let done = false;
  const run = runLifecycleHook({ sleep: { seconds: 5 } }, c).then((r) => {
    done = true;
    return r;
  });
  c.clock.advance(4999);
  await Promise.resolve();
  assert.equal(done, false);
  c.clock.advance(1);
  assert.equal(await run, undefined);
});
