import assert from "node:assert/strict";
import type { SpdyStream } from "../../util/spdy/session.ts";
import { spdyClientUpgrade } from "../../util/spdy/upgrade.ts";
import { websocketClientHandshake } from "../../util/websocket/handshake.ts";
import { WebSocketConnection } from "../../util/websocket/websocket_connection.ts";
import { createTestPki } from "../_test_https.ts";
import type { AdmissionAttributes } from "../admission/admission.ts";
import { ApiError } from "../errors.ts";
import type { Node } from "../types/core_v1_node.ts";
import type { Pod } from "../types/core_v1_pod.ts";
import {
  connectTls,
  startHookFront,
  startTestKubelet,
  testNode,
  testPod,
} from "./_test_kubelet.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

async function statusOf(res: Response): Promise<{ code: number; message: string; reason: string }> {
  const body = await res.json();
  return { code: res.status, message: body.message, reason: body.reason };
}

Deno.test("PodStreamHook refuses what cannot stream with upstream's errors", async (t) => {
  await using pki = await createTestPki();
  await using kubelet = await startTestKubelet(pki);
  const pods = new Map<string, Pod>([
    ["web", testPod(["app"])],
    ["two", { ...testPod(["a", "b"]), metadata: { name: "two", namespace: "default" } }],
    ["unbound", { ...testPod(["app"], ""), metadata: { name: "unbound", namespace: "default" } }],
    ["lost", { ...testPod(["app"], "gone"), metadata: { name: "lost", namespace: "default" } }],
    ["blind", { ...testPod(["app"], "blind"), metadata: { name: "blind", namespace: "default" } }],
  ]);
  const nodes = new Map<string, Node>([
    ["edge-1", testNode(kubelet.port)],
    ["blind", { ...testNode(0, "blind"), status: {} } as Node],
  ]);
  await using front = await startHookFront({
    pki,
    getPod: (_ns, name) => Promise.resolve(pods.get(name)),
    getNode: (name) => Promise.resolve(nodes.get(name)),
  });
  using client = Deno.createHttpClient({ caCerts: [pki.ca.certPem] });
  const upgrade = { connection: "Upgrade", upgrade: "SPDY/3.1" };
  const cases: [string, string, Record<string, string>, { code: number; message: string }][] = [
    ["not an upgrade", "web/exec?command=ls", {}, {
      code: 400,
      message: "Upgrade request required",
    }],
    ["no such pod", "nope/exec?command=ls", upgrade, {
      code: 404,
      message: 'pods "nope" not found',
    }],
    [
      "several containers, none named",
      "two/exec?command=ls",
      upgrade,
      {
        code: 400,
        message: "a container name must be specified for pod two, choose one of: [a b]",
      },
    ],
    [
      "a container the pod lacks",
      "web/attach?container=x",
      upgrade,
      { code: 400, message: "container x is not valid for pod web" },
    ],
    [
      "no node yet",
      "unbound/portforward",
      upgrade,
      { code: 400, message: "pod unbound does not have a host assigned" },
    ],
    ["the node is gone", "lost/exec?command=ls", upgrade, {
      code: 404,
      message: 'nodes "gone" not found',
    }],
    [
      "a node without addresses",
      "blind/exec?command=ls",
      upgrade,
      { code: 500, message: "no preferred addresses found; known addresses: []" },
    ],
  ];
  for (const [name, path, headers, want] of cases) {
    await t.step(name, async () => {
      const res = await fetch(
        `https://127.0.0.1:${front.port}/api/v1/namespaces/default/pods/${path}`,
        {
          method: "POST",
          headers,
          client,
        },
      );
      const got = await statusOf(res);
      assert.deepEqual({ code: got.code, message: got.message }, want);
    });
  }
  await t.step("the kubelet unreachable: upstream's dial error", async () => {
    nodes.set("edge-1", testNode(1));
    const res = await fetch(
      `https://127.0.0.1:${front.port}/api/v1/namespaces/default/pods/web/exec?command=ls`,
      { method: "POST", headers: upgrade, client },
    );
    const got = await statusOf(res);
    assert.deepEqual({ code: got.code, message: got.message }, {
      code: 500,
      message: "error dialing backend: dial tcp 127.0.0.1:1: connect: connection refused",
    });
  });
  assert.equal(kubelet.heads.length, 0, "nothing reached the kubelet");
});

Deno.test("PodStreamHook relays a SPDY upgrade to the kubelet untouched", async (t) => {
  await using pki = await createTestPki();
  await using kubelet = await startTestKubelet(pki);
  await using front = await startHookFront({
    pki,
    getPod: () => Promise.resolve(testPod(["app"])),
    getNode: () => Promise.resolve(testNode(kubelet.port)),
  });
  const path = "/api/v1/namespaces/default/pods/web/exec?command=sh&command=-c&command=echo+hi" +
    "&stdin=true&stdout=true&container=app";
  await t.step("the kubelet's 101, then bytes both ways", async () => {
    kubelet.answer = { kind: "echo", protocol: "v4.channel.k8s.io" };
    const socket = await connectTls(front.port, pki);
    const answer = await spdyClientUpgrade(socket, {
      path,
      host: "127.0.0.1",
      protocols: ["v4.channel.k8s.io", "v3.channel.k8s.io"],
      headers: [["Authorization", "Bearer secret"]],
    });
    assert.equal(answer.status, 101);
    assert.equal(answer.protocol, "v4.channel.k8s.io");
    const echoed = new Promise<string>((resolve) => {
      socket.on("data", (c: Uint8Array) => resolve(decoder.decode(c)));
    });
    socket.write(encoder.encode("raw spdy bytes"));
    assert.equal(await echoed, "raw spdy bytes");
    socket.destroy();
    const head = kubelet.heads.at(-1)!;
    assert.equal(
      head.line,
      "POST /exec/default/web/app?command=sh&command=-c&command=echo+hi&input=1&output=1 HTTP/1.1",
    );
    const protocols = head.headers.filter(([n]) => n.toLowerCase() === "x-stream-protocol-version");
    assert.deepEqual(protocols.map(([, v]) => v), ["v4.channel.k8s.io", "v3.channel.k8s.io"]);
    assert.ok(!head.headers.some(([n]) => n.toLowerCase() === "authorization"), "no credentials");
    assert.equal(head.subject, "system:masters/kube-apiserver-kubelet-client");
  });
  await t.step("a refusal is relayed as the kubelet gave it", async () => {
    kubelet.answer = { kind: "refuse", status: 500, body: 'container not found ("app")' };
    const socket = await connectTls(front.port, pki);
    const answer = await spdyClientUpgrade(socket, {
      path,
      host: "127.0.0.1",
      protocols: ["v4.channel.k8s.io"],
    });
    assert.equal(answer.status, 500);
    assert.equal(answer.headers.get("content-type"), "text/plain; charset=utf-8");
    socket.destroy();
  });
});

Deno.test("PodStreamHook speaks WebSocket v5 to the client and SPDY v4 to the kubelet", async () => {
  await using pki = await createTestPki();
  await using kubelet = await startTestKubelet(pki);
  await using front = await startHookFront({
    pki,
    getPod: () => Promise.resolve(testPod(["app"])),
    getNode: () => Promise.resolve(testNode(kubelet.port)),
  });
  const opened: string[] = [];
  const streams = new Map<string, SpdyStream>();
  kubelet.answer = {
    kind: "spdy",
    onStream: (stream) => {
      const type = stream.headers["streamtype"] ?? "";
      opened.push(type);
      streams.set(type, stream);
      stream.reply();
      if (type === "stdin") {
        stream.onData((d) => streams.get("stdout")?.write(d));
        stream.onEnd(() => {
          const status = {
            metadata: {},
            status: "Failure",
            message: "error executing command [cat], exit code 7",
            reason: "NonZeroExitCode",
            details: { causes: [{ reason: "ExitCode", message: "7" }] },
          };
          streams.get("stdout")?.end();
          streams.get("error")?.write(encoder.encode(JSON.stringify(status)));
          streams.get("error")?.end();
        });
      }
      if (type === "resize") {
        stream.onData((d) =>
          streams.get("stdout")?.write(encoder.encode(`resize ${decoder.decode(d)}`))
        );
      }
    },
  };
  const socket = await connectTls(front.port, pki);
  const { protocol, buffered } = await websocketClientHandshake(socket, {
    path: "/api/v1/namespaces/default/pods/web/exec?command=cat&stdin=true&stdout=true&tty=true",
    host: "127.0.0.1",
    protocols: ["v5.channel.k8s.io", "v4.channel.k8s.io"],
  });
  assert.equal(protocol, "v5.channel.k8s.io");
  let stdout = "";
  let status = "";
  const sawResize = Promise.withResolvers<void>();
  const ws = new WebSocketConnection(socket, {
    role: "client",
    buffered,
    onMessage: (m) => {
      if (typeof m === "string") return;
      if (m[0] === 1) stdout += decoder.decode(m.subarray(1));
      if (m[0] === 3) status += decoder.decode(m.subarray(1));
      if (stdout.includes("Height")) sawResize.resolve();
    },
  });
  ws.send(Uint8Array.of(4, ...encoder.encode('{"Width":80,"Height":24}')));
  await sawResize.promise;
  ws.send(Uint8Array.of(0, ...encoder.encode("typed")));
  ws.ping();
  ws.send(Uint8Array.of(255, 0));
  const closed = await ws.closed;
  assert.equal(closed.code, 1000);
  assert.deepEqual(opened, ["error", "stdin", "stdout", "resize"], "no stderr with a TTY");
  assert.equal(stdout, 'resize {"Width":80,"Height":24}typed');
  const parsed = JSON.parse(status);
  assert.equal(parsed.reason, "NonZeroExitCode");
  assert.deepEqual(parsed.details.causes, [{ reason: "ExitCode", message: "7" }]);
  assert.deepEqual(
    front.logger.records.filter((r) => r.msg === "Streaming to the kubelet").map((r) =>
      r.fields.protocol
    ),
    ["v5.channel.k8s.io"],
  );
  assert.match(
    kubelet.heads[0]!.line,
    /^POST \/exec\/default\/web\/app\?command=cat&input=1&output=1&tty=1 /,
  );
});

Deno.test("PodStreamHook tunnels WebSocket-wrapped SPDY port-forward to a SPDY upgrade", async () => {
  await using pki = await createTestPki();
  await using kubelet = await startTestKubelet(pki);
  await using front = await startHookFront({
    pki,
    getPod: () => Promise.resolve(testPod(["app"])),
    getNode: () => Promise.resolve(testNode(kubelet.port)),
  });
  kubelet.answer = { kind: "echo", protocol: "portforward.k8s.io" };
  const socket = await connectTls(front.port, pki);
  const { protocol, buffered } = await websocketClientHandshake(socket, {
    path: "/api/v1/namespaces/default/pods/web/portforward",
    host: "127.0.0.1",
    protocols: ["SPDY/3.1+portforward.k8s.io"],
  });
  assert.equal(protocol, "SPDY/3.1+portforward.k8s.io");
  const got = Promise.withResolvers<Uint8Array>();
  const ws = new WebSocketConnection(socket, {
    role: "client",
    buffered,
    onMessage: (m) => {
      if (typeof m !== "string") got.resolve(m);
    },
  });
  // kubectl's tunnel sends empty messages too; they must not break the kubelet's connection.
  await new Promise((r) => setTimeout(r, 50));
  ws.send(new Uint8Array(0));
  await new Promise((r) => setTimeout(r, 50));
  ws.send(Uint8Array.of(0x80, 0x03, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1));
  const echoed = await Promise.race([
    got.promise,
    new Promise<never>((_, reject) => {
      const timer = setTimeout(() => reject(new Error("The tunnel echoed nothing in 5 s")), 5000);
      got.promise.finally(() => clearTimeout(timer));
    }),
  ]);
  assert.deepEqual([...echoed], [0x80, 0x03, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1]);
  const head = kubelet.heads[0]!;
  assert.equal(head.line, "POST /portForward/default/web HTTP/1.1");
  assert.ok(
    head.headers.some(([n, v]) => n === "X-Stream-Protocol-Version" && v === "portforward.k8s.io"),
  );
  ws.close(1000);
  assert.equal((await ws.closed).code, 1000);
});

Deno.test("PodStreamHook admits each stream as a CONNECT of its options, before anything else", async () => {
  await using pki = await createTestPki();
  await using kubelet = await startTestKubelet(pki);
  const seen: AdmissionAttributes[] = [];
  await using front = await startHookFront({
    pki,
    getPod: () => Promise.resolve(testPod(["app"])),
    getNode: () => Promise.resolve(testNode(kubelet.port)),
    admission: {
      run: (attrs) => {
        seen.push(attrs);
        if (attrs.subresource === "attach") {
          throw new ApiError('admission webhook "deny.example.com" denied the request: no attach', {
            code: 400,
            reason: "BadRequest",
          });
        }
        return Promise.resolve();
      },
    },
  });
  using client = Deno.createHttpClient({ caCerts: [pki.ca.certPem] });
  const base = `https://127.0.0.1:${front.port}/api/v1/namespaces/default/pods/web`;
  const attach = await fetch(`${base}/attach?stdin=1&stdout=1`, { method: "POST", client });
  assert.deepEqual(await statusOf(attach), {
    code: 400,
    message: 'admission webhook "deny.example.com" denied the request: no attach',
    reason: "BadRequest",
  });
  const exec = await fetch(`${base}/exec?command=ls&command=-l&stdout=true&container=app`, {
    method: "POST",
    client,
  });
  assert.equal((await statusOf(exec)).message, "Upgrade request required");
  assert.deepEqual(seen.map((a) => [a.operation, a.subresource, a.username, a.object]), [
    ["CONNECT", "attach", "alice", {
      kind: "PodAttachOptions",
      apiVersion: "v1",
      metadata: {},
      stdin: true,
      stdout: true,
    }],
    ["CONNECT", "exec", "alice", {
      kind: "PodExecOptions",
      apiVersion: "v1",
      metadata: {},
      stdout: true,
      container: "app",
      command: ["ls", "-l"],
    }],
  ]);
  assert.equal(kubelet.heads.length, 0);
});
