import assert from "node:assert/strict";
import { join } from "node:path";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { FakeClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { FakeReviews } from "./_test_support.ts";
import { KubeletAuth } from "./kubelet_auth.ts";
import {
  type KubeletContainerRef,
  KubeletHandler,
  type KubeletPod,
  type KubeletRuntime,
  portForwardPorts,
  routeOf,
} from "./kubelet_handler.ts";

const ADMIN = { authorization: "Bearer admin" };

function webPod(): Pod {
  return {
    metadata: { name: "web", namespace: "default", uid: "uid-1" },
    spec: {
      containers: [
        { name: "app", image: "busybox" },
        { name: "side", image: "busybox" },
        { name: "gone", image: "busybox" },
      ],
    },
    status: {
      containerStatuses: [
        {
          name: "app",
          image: "busybox",
          imageID: "",
          ready: true,
          restartCount: 1,
          state: { running: {} },
          lastState: { terminated: { exitCode: 1, containerID: "containerd://old" } },
        },
        {
          name: "side",
          image: "busybox",
          imageID: "",
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: "ContainerCreating" } },
        },
      ],
    },
  } as Pod;
}

class FakeRuntime implements KubeletRuntime {
  readonly calls: unknown[] = [];
  running = true;

  exec(request: Parameters<KubeletRuntime["exec"]>[0]) {
    this.calls.push({ exec: request });
    return Promise.resolve({ url: "http://127.0.0.1:1/exec/tok" });
  }
  attach(request: Parameters<KubeletRuntime["attach"]>[0]) {
    this.calls.push({ attach: request });
    return Promise.resolve({ url: "http://127.0.0.1:1/attach/tok" });
  }
  portForward(request: Parameters<KubeletRuntime["portForward"]>[0]) {
    this.calls.push({ portForward: request });
    return Promise.resolve({ url: "http://127.0.0.1:1/portforward/tok" });
  }
  execSync(request: { containerId: string; cmd: readonly string[] }) {
    this.calls.push({ execSync: request });
    return Promise.resolve({
      stdout: new TextEncoder().encode("out\n"),
      stderr: new TextEncoder().encode("err\n"),
      exitCode: 0,
    });
  }
  containerStatus() {
    return Promise.resolve({
      status: { state: this.running ? "CONTAINER_RUNNING" : "CONTAINER_EXITED" },
    } as unknown as Awaited<ReturnType<KubeletRuntime["containerStatus"]>>);
  }
}

function criLine(time: string, stream: string, text: string): string {
  return `${time} ${stream} F ${text}\n`;
}

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "kubelet-handler-" });
  const current = join(dir, "1.log");
  const previous = join(dir, "0.log");
  await Deno.writeTextFile(
    current,
    criLine("2026-12-01T10:00:00.000000001Z", "stdout", "one") +
      criLine("2026-12-01T10:00:01.5Z", "stderr", "two") +
      criLine("2026-12-01T10:00:02Z", "stdout", "three"),
  );
  await Deno.writeTextFile(previous, criLine("2026-12-01T09:00:00Z", "stdout", "before crash"));
  const reviews = new FakeReviews();
  reviews.tokens.set("admin", { username: "admin", groups: ["system:masters"] });
  reviews.tokens.set("viewer", { username: "viewer", groups: [] });
  const clock = new FakeClock(Date.parse("2026-12-01T10:00:30Z"));
  const runtime = new FakeRuntime();
  const pods: KubeletPod[] = [{ pod: webPod(), sandboxId: "sandbox-1" }];
  // Bound to the node, its sandbox not made yet.
  const creating = {
    metadata: { name: "new", namespace: "default", uid: "uid-2" },
    spec: { containers: [{ name: "app", image: "busybox" }] },
    status: {
      containerStatuses: [{
        name: "app",
        image: "busybox",
        imageID: "",
        ready: false,
        restartCount: 0,
        state: { waiting: { reason: "ContainerCreating" } },
      }],
    },
  } as Pod;
  const found: Record<string, KubeletContainerRef> = {
    app: { podUid: "uid-1", containerId: "c-app", logPath: current, sandboxId: "sandbox-1" },
    gone: {
      podUid: "uid-1",
      containerId: "c-gone",
      logPath: join(dir, "gone.log"),
      sandboxId: "sandbox-1",
    },
    "app previous": {
      podUid: "uid-1",
      containerId: "c-old",
      logPath: previous,
      sandboxId: "sandbox-1",
    },
  };
  const taken: AbortSignal[] = [];
  const handler = new KubeletHandler({
    pods: {
      runningPods: () => pods,
      desiredPods: () => [pods[0]!.pod, creating],
      findContainer: (ns, name, container, { previous }) =>
        ns === "default" && name === "web"
          ? found[previous ? `${container} previous` : container]
          : undefined,
    },
    runtime,
    auth: new KubeletAuth({ nodeName: "edge-1", reviews, clock }),
    clock,
    logger: new RecordingLogger(),
    takeOver: (signal) => {
      taken.push(signal);
      return null;
    },
  });
  const get = (path: string, init: RequestInit = {}, credentials = ADMIN) => {
    const headers = new Headers(init.headers);
    if (credentials.authorization) headers.set("authorization", credentials.authorization);
    return handler.handle(new Request(`https://127.0.0.1:10250${path}`, { ...init, headers }));
  };
  return {
    dir,
    current,
    runtime,
    clock,
    taken,
    get,
    reviews,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("KubeletHandler serves /healthz and /pods, 404 and 405 elsewhere", async () => {
  await using s = await setup();
  const health = await s.get("/healthz");
  assert.equal(health.status, 200);
  assert.equal(await health.text(), "ok");
  const pods = await s.get("/pods");
  assert.equal(pods.status, 200);
  const list = await pods.json();
  assert.equal(list.kind, "PodList");
  assert.equal(list.apiVersion, "v1");
  assert.deepEqual(list.items.map((p: Pod) => p.metadata?.name), ["web", "new"]);
  const missing = await s.get("/nothing/here");
  assert.equal(missing.status, 404);
  assert.equal(await missing.text(), "404 page not found");
  const put = await s.get("/pods", { method: "PUT" });
  assert.equal(put.status, 405);
  await put.body?.cancel();
});

Deno.test("KubeletHandler refuses before routing: 401 anonymous, 403 unauthorized", async () => {
  await using s = await setup();
  const anonymous = await s.get("/containerLogs/default/web/app", {}, { authorization: "" });
  assert.equal(anonymous.status, 401);
  assert.equal(await anonymous.text(), "Unauthorized");
  const viewer = await s.get("/containerLogs/default/web/app", {}, {
    authorization: "Bearer viewer",
  });
  assert.equal(viewer.status, 403);
  assert.equal(
    await viewer.text(),
    "Forbidden (user=viewer, verb=get, resource=nodes, subresource(s)=[proxy])",
  );
  s.reviews.allowed.add("viewer get proxy");
  s.clock.advance(31_000);
  const allowed = await s.get("/containerLogs/default/web/app", {}, {
    authorization: "Bearer viewer",
  });
  assert.equal(allowed.status, 200);
  await allowed.body?.cancel();
});

Deno.test("KubeletHandler /containerLogs reads the container's log with the options", async (t) => {
  await using s = await setup();
  const cases: [string, string][] = [
    ["", "one\ntwo\nthree\n"],
    ["?tailLines=1", "three\n"],
    ["?tail=2", "two\nthree\n"],
    ["?limitBytes=6", "one\ntw"],
    [
      "?timestamps=true&tailLines=2",
      "2026-12-01T10:00:01.500000000Z two\n2026-12-01T10:00:02.000000000Z three\n",
    ],
    ["?sinceTime=2026-12-01T10:00:01Z", "two\nthree\n"],
    ["?sinceSeconds=29", "two\nthree\n"],
    ["?stream=Stderr", "two\n"],
    ["?previous=true", "before crash\n"],
  ];
  for (const [query, want] of cases) {
    await t.step(query || "(all)", async () => {
      const res = await s.get(`/containerLogs/default/web/app${query}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
      assert.equal(await res.text(), want);
    });
  }
});

Deno.test("KubeletHandler /containerLogs answers with the kubelet's errors", async (t) => {
  await using s = await setup();
  const cases: [string, number, string][] = [
    ["/containerLogs/default/nope/app", 404, 'pod "nope" does not exist'],
    ["/containerLogs/default/web/nope", 404, 'container "nope" not found in pod "web"'],
    [
      "/containerLogs/default/web/side",
      400,
      'container "side" in pod "web" is waiting to start: ContainerCreating',
    ],
    [
      "/containerLogs/default/web/side?previous=true",
      400,
      'previous terminated container "side" in pod "web" not found',
    ],
    [
      "/containerLogs/default/new/app",
      400,
      'container "app" in pod "new" is waiting to start: ContainerCreating',
    ],
    ["/containerLogs/default/web/app?tailLines=-1", 422, '{"message": "Invalid request."}'],
    ["/containerLogs/default/web/app?tailLines=x", 400, '{"message": "Unable to decode query."}'],
  ];
  for (const [path, status, message] of cases) {
    await t.step(path, async () => {
      const res = await s.get(path);
      assert.equal(res.status, status);
      assert.equal(await res.text(), message);
    });
  }
  await t.step("a log file that is gone", async () => {
    const res = await s.get("/containerLogs/default/web/gone");
    assert.equal(res.status, 400);
    assert.match(
      await res.text(),
      /^failed to try resolving symlinks in path ".*\/gone\.log": No such file or directory/,
    );
  });
});

Deno.test("KubeletHandler /containerLogs?follow answers at once for a quiet container", async () => {
  await using s = await setup();
  const res = await s.get("/containerLogs/default/web/app?follow=true&tailLines=0");
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  let got = false;
  const first = reader.read().finally(() => (got = true));
  // The reader may start after a first append (it then tails from past it): append until one
  // arrives.
  for (let i = 0; !got && i < 100; i++) {
    await Deno.writeTextFile(s.current, criLine("2026-12-01T10:00:50Z", "stdout", "late"), {
      append: true,
    });
    await Promise.race([first, new Promise((r) => setTimeout(r, 20))]);
  }
  assert.equal(new TextDecoder().decode((await first).value), "late\n");
  await reader.cancel();
});

Deno.test("KubeletHandler /containerLogs?follow streams new lines until the container exits", async () => {
  await using s = await setup();
  const res = await s.get("/containerLogs/default/web/app?follow=true&tailLines=1");
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const next = async () => decoder.decode((await reader.read()).value);
  assert.equal(await next(), "three\n");
  await Deno.writeTextFile(s.current, criLine("2026-12-01T10:00:40Z", "stdout", "four"), {
    append: true,
  });
  assert.equal(await next(), "four\n");
  s.runtime.running = false;
  s.clock.advance(5000);
  assert.equal((await reader.read()).done, true);
});

Deno.test("KubeletHandler /containerLogs?follow ends when the client goes away", async () => {
  await using s = await setup();
  const abort = new AbortController();
  const res = await s.get("/containerLogs/default/web/app?follow=1", { signal: abort.signal });
  const reader = res.body!.getReader();
  assert.equal(new TextDecoder().decode((await reader.read()).value), "one\n");
  while (!new TextDecoder().decode((await reader.read()).value).includes("three"));
  abort.abort();
  assert.equal((await reader.read()).done, true);
});

Deno.test("KubeletHandler /exec, /attach and /portForward check the request before calling CRI", async (t) => {
  await using s = await setup();
  const upgrade = { connection: "Upgrade", upgrade: "SPDY/3.1" };
  const cases: [string, string, Record<string, string>, number, string][] = [
    [
      "POST",
      "/exec/default/web/app?command=ls",
      upgrade,
      400,
      "you must specify at least 1 of stdin, stdout, stderr",
    ],
    ["POST", "/exec/default/nope/app?command=ls&output=1", upgrade, 404, "pod does not exist"],
    [
      "POST",
      "/exec/default/web/nope?command=ls&output=1",
      upgrade,
      500,
      'container not found ("nope")',
    ],
    [
      "POST",
      "/exec/default/web/uid-2/app?command=ls&output=1",
      upgrade,
      500,
      'container not found ("app")',
    ],
    ["POST", "/exec/default/web/app?command=ls&output=1", {}, 500, "Upgrade request required"],
    ["POST", "/attach/default/web/app?output=1", {}, 500, "Upgrade request required"],
    ["PUT", "/exec/default/web/app?command=ls&output=1", upgrade, 405, "405: Method Not Allowed"],
    ["POST", "/portForward/default/new", upgrade, 500, "pod not found"],
    ["POST", "/portForward/default/web/uid-9", upgrade, 404, "pod not found"],
    ["POST", "/portForward/default/nope", upgrade, 404, "pod does not exist"],
    [
      "GET",
      "/portForward/default/web",
      { connection: "Upgrade", upgrade: "websocket" },
      400,
      'query parameter "port" is required',
    ],
  ];
  for (const [method, path, headers, status, message] of cases) {
    await t.step(`${method} ${path}`, async () => {
      const res = await s.get(path, { method, headers });
      assert.equal(res.status, status);
      assert.equal(await res.text(), message);
    });
  }
  assert.deepEqual(s.runtime.calls, []);
});

Deno.test("KubeletHandler /exec, /attach and /portForward ask CRI for a URL and take the socket", async () => {
  await using s = await setup();
  const spdy = { connection: "Upgrade", upgrade: "SPDY/3.1" };
  const ws = { connection: "Upgrade", upgrade: "websocket" };
  for (
    const [method, path, headers] of [
      [
        "POST",
        "/exec/default/web/app?command=sh&command=-c&command=echo+hi&input=1&output=1&error=1&tty=1",
        spdy,
      ],
      ["GET", "/exec/default/web/uid-1/app?command=ls&stdout=true&stderr=true", ws],
      ["POST", "/attach/default/web/app?input=1&output=1&error=1", spdy],
      ["POST", "/portForward/default/web", spdy],
      ["GET", "/portForward/default/web/uid-1?port=80,8080&port=443", ws],
    ] as const
  ) {
    const res = await s.get(path, { method, headers });
    assert.equal(res.status, 500);
    assert.equal(await res.text(), "Cannot take over the connection for the upgrade");
  }
  assert.equal(s.taken.length, 5);
  assert.deepEqual(s.runtime.calls, [
    {
      exec: {
        containerId: "c-app",
        cmd: ["sh", "-c", "echo hi"],
        tty: true,
        stdin: true,
        stdout: true,
        stderr: false,
      },
    },
    {
      exec: {
        containerId: "c-app",
        cmd: ["ls"],
        tty: false,
        stdin: false,
        stdout: true,
        stderr: true,
      },
    },
    {
      attach: { containerId: "c-app", tty: false, stdin: true, stdout: true, stderr: true },
    },
    { portForward: { podSandboxId: "sandbox-1", port: [] } },
    { portForward: { podSandboxId: "sandbox-1", port: [80, 8080, 443] } },
  ]);
});

Deno.test("routeOf() matches the kubelet's routes", async (t) => {
  const cases: [string, string, unknown][] = [
    ["GET", "/healthz", { kind: "healthz", namespace: "", pod: "", uid: "", container: "" }],
    ["GET", "/pods/", { kind: "pods", namespace: "", pod: "", uid: "", container: "" }],
    ["GET", "/containerLogs/ns/p/c", {
      kind: "containerLogs",
      namespace: "ns",
      pod: "p",
      uid: "",
      container: "c",
    }],
    ["POST", "/containerLogs/ns/p/c", "method"],
    ["GET", "/containerLogs/ns/p", null],
    ["GET", "/exec/ns/p/u/c", {
      kind: "exec",
      namespace: "ns",
      pod: "p",
      uid: "u",
      container: "c",
    }],
    ["POST", "/attach/ns/p/c", {
      kind: "attach",
      namespace: "ns",
      pod: "p",
      uid: "",
      container: "c",
    }],
    ["GET", "/portForward/ns/p", {
      kind: "portForward",
      namespace: "ns",
      pod: "p",
      uid: "",
      container: "",
    }],
    ["GET", "/portForward/ns/p/u", {
      kind: "portForward",
      namespace: "ns",
      pod: "p",
      uid: "u",
      container: "",
    }],
    ["GET", "/exec/ns/p/u/c/extra", null],
    ["GET", "/containerLogs/ns/p%2Fx/c", {
      kind: "containerLogs",
      namespace: "ns",
      pod: "p/x",
      uid: "",
      container: "c",
    }],
  ];
  for (const [method, path, want] of cases) {
    await t.step(`${method} ${path}`, () => assert.deepEqual(routeOf(method, path), want));
  }
});

Deno.test("portForwardPorts() parses the WebSocket port list as the kubelet", async (t) => {
  const cases: [string, number[] | string][] = [
    ["port=80", [80]],
    ["port=80,443&port=8080", [80, 443, 8080]],
    ["", 'query parameter "port" is required'],
    ["port=", 'query parameter "port" cannot be empty'],
    ["port=0", 'port "0" must be > 0'],
    ["port=x", 'unable to parse "x" as a port: strconv.ParseUint: parsing "x": invalid syntax'],
  ];
  for (const [query, want] of cases) {
    await t.step(query || "(none)", () => {
      assert.deepEqual(portForwardPorts(new URLSearchParams(query)), want);
    });
  }
});

Deno.test("KubeletHandler /run runs a command to its end and /runningpods/ lists runtime pods", async () => {
  await using s = await setup();
  const res = await s.get("/run/default/web/app?cmd=echo%20hi%20there", { method: "POST" });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "out\nerr\n");
  assert.deepEqual(s.runtime.calls, [
    { execSync: { containerId: "c-app", cmd: ["echo", "hi", "there"], timeout: 0 } },
  ]);
  const missing = await s.get("/run/default/web/nope?cmd=ls", { method: "POST" });
  assert.equal(missing.status, 500);
  assert.equal(await missing.text(), 'container not found ("nope")');
  const get = await s.get("/run/default/web/app?cmd=ls");
  assert.equal(get.status, 405);
  await get.body?.cancel();
  const running = await s.get("/runningpods/");
  assert.deepEqual((await running.json()).items.map((p: Pod) => p.metadata?.name), ["web"]);
});
