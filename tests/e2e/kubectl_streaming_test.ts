/**
 * The real kubectl 1.27–1.33 (SPDY up to 1.29, WebSocket v5 from 1.30, tunnelled port-forward
 * from 1.31) running `exec` (exit codes), `exec -it` on a pseudo-terminal (its size reaches the
 * container), `exec -i`, `cp` both ways, `attach -i` and `port-forward` (as root) against a real
 * `skiff server`, its streaming routes served by the `PodStreamHook`s and the agent's kubelet
 * API in front of a real containerd. The hooks sit in a front listener with the server's own
 * serving certificate that passes every other request on to the server (the lead wires the
 * hooks into the server itself); the pod and node objects are the server's.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { FetchApp } from "../../control/api/https_server.ts";
import type { Node } from "../../control/api/types/core_v1_node.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import {
  Kubectl,
  KUBECTL_VERSIONS,
  kubectlBinary,
  type KubectlVersion,
} from "../_support/kubectl.ts";
import { startTestServer, type TestServer } from "../_support/skiff_server.ts";
import { startStreamingApi } from "../_support/streaming_api.ts";
import { startStreamingNode, STREAMING_NODE_NAME } from "../_support/streaming_node.ts";

/** The protocol each step's requests reached the kubelet with, by kubectl version. */
function expectedProtocols(version: KubectlVersion): { exec: string; portforward: string } {
  const minor = Number(version.split(".")[1]);
  return {
    exec: minor >= 30 ? "v5.channel.k8s.io" : "spdy",
    portforward: minor >= 31 ? "SPDY/3.1+portforward.k8s.io" : "spdy",
  };
}

async function pem(server: TestServer, name: string) {
  const dir = join(server.dataDir, "tls");
  return {
    certPem: await Deno.readTextFile(join(dir, `${name}.crt`)),
    keyPem: await Deno.readTextFile(join(dir, `${name}.key`)),
  };
}

/** Passes requests on to the server with the admin's credentials (discovery, pod reads). */
function forwardTo(server: TestServer, client: Deno.HttpClient): FetchApp {
  return {
    async fetch(request: Request): Promise<Response> {
      const url = new URL(request.url);
      const headers = new Headers(request.headers);
      for (const h of ["host", "connection", "accept-encoding", "authorization"]) headers.delete(h);
      const hasBody = request.method !== "GET" && request.method !== "HEAD";
      const res = await fetch(`${server.url}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        ...(hasBody ? { body: await request.arrayBuffer() } : {}),
        client,
      });
      const out = new Headers(res.headers);
      out.delete("content-encoding");
      out.delete("content-length");
      return new Response(await res.arrayBuffer(), { status: res.status, headers: out });
    },
  };
}

Deno.test("kubectl exec, cp, attach and port-forward reach containerd through skiff", async (t) => {
  await using server = await startTestServer();
  const ca = await Deno.readTextFile(join(server.dataDir, "tls", "server-ca.crt"));
  const admin = await pem(server, "client-admin");
  const kubeletClient = await pem(server, "client-kube-apiserver");
  await using node = await startStreamingNode({ clientCaPem: ca });
  using cluster = e2eCluster(server);
  using http = Deno.createHttpClient({ caCerts: [ca], cert: admin.certPem, key: admin.keyPem });
  const read = async <T>(path: string): Promise<T | undefined> => {
    const res = await fetch(`${server.url}${path}`, { client: http });
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    return await res.json() as T;
  };
  await using api = await startStreamingApi(node, {
    fallback: forwardTo(server, http),
    serving: await pem(server, "serving"),
    caPem: ca,
    credentials: kubeletClient,
    getPod: (ns, name) => read<Pod>(`/api/v1/namespaces/${ns}/pods/${name}`),
    getNode: (name) => read<Node>(`/api/v1/nodes/${name}`),
  });
  // kubectl talks to the front: the server's kubeconfig with the front's address.
  const kubeconfig = join(server.scratchDir, "front.kubeconfig");
  await Deno.writeTextFile(
    kubeconfig,
    (await Deno.readTextFile(server.kubeconfig)).replace(
      server.url,
      `https://127.0.0.1:${api.port}`,
    ),
  );

  async function step(name: string, fn: () => Promise<void>): Promise<void> {
    if (!await t.step(name, fn)) {
      throw new Error(
        `Step "${name}" failed; server log:\n${server.logTail(20)}\ncontainerd:\n${await node
          .logTail()}`,
      );
    }
  }

  await step("the node and the running pod exist in the API", async () => {
    const nodeStatus = JSON.stringify({ status: node.node.status });
    await cluster.runOk(
      ["create", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: STREAMING_NODE_NAME },
      }),
    );
    await cluster.runOk([
      "patch",
      "node",
      STREAMING_NODE_NAME,
      "--subresource=status",
      "--type=merge",
      "-p",
      nodeStatus,
    ]);
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "shell", namespace: "default" },
      spec: {
        nodeName: STREAMING_NODE_NAME,
        automountServiceAccountToken: false,
        containers: [{ name: "main", image: "docker.io/skiff/busybox:1.36", stdin: true }],
      },
    };
    await cluster.eventually(
      "the pod created (its ServiceAccount exists)",
      async () => (await cluster.run(["create", "-f", "-"], JSON.stringify(pod))).code === 0,
    );
    await cluster.runOk([
      "patch",
      "pod",
      "shell",
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status: { phase: "Running", podIP: "127.0.0.1" } }),
    ]);
  });

  /** The protocols the hooks streamed with since `from` records, by subresource. */
  const protocolsSince = (from: number) =>
    node.logger.records.slice(from).filter((r) => r.msg === "Streaming to the kubelet").map(
      (r) => `${r.fields.subresource} ${r.fields.protocol}`,
    );

  for (const version of KUBECTL_VERSIONS) {
    const expected = expectedProtocols(version);
    const kubectl = new Kubectl(version, {
      kubeconfig,
      homeDir: join(server.scratchDir, `front-home-${version}`),
    });
    const ok = (r: { code: number; stdout: string; stderr: string }, what: string) => {
      assert.equal(r.code, 0, `${what} (kubectl ${version}) exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    };

    await step(`kubectl ${version} exec: output, and exit code 3`, async () => {
      const from = node.logger.records.length;
      const hi = await kubectl.run(["exec", "shell", "--", "sh", "-c", "echo hi; echo oops >&2"]);
      assert.equal(ok(hi, "exec"), "hi\n");
      assert.equal(hi.stderr, "oops\n");
      const three = await kubectl.run(["exec", "shell", "--", "sh", "-c", "exit 3"]);
      assert.equal(three.code, 3, three.stderr);
      assert.match(three.stderr, /command terminated with exit code 3/);
      assert.deepEqual(protocolsSince(from), [`exec ${expected.exec}`, `exec ${expected.exec}`]);
    });

    await step(
      `kubectl ${version} exec -it runs on a terminal of the terminal's size`,
      async () => {
        // util-linux `script` gives kubectl a pseudo-terminal of 91x33, as a user's shell would:
        // kubectl sends that size on the resize stream and the container's TTY takes it (the
        // image's busybox has every applet, stty included, under its own name).
        const binary = await kubectlBinary(version);
        const inner = `${binary} --kubeconfig=${kubeconfig} exec -it shell -- ` +
          `sh -c 'sleep 0.5; tty; busybox stty size; exit 5'`;
        const out = await new Deno.Command("script", {
          args: ["-qec", `stty cols 91 rows 33; ${inner}`, "/dev/null"],
          env: {
            HOME: join(server.scratchDir, `front-home-${version}`),
            NO_COLOR: "1",
            TERM: "dumb",
          },
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder().decode(out.stdout);
        assert.equal(out.code, 5, `${text}\n${new TextDecoder().decode(out.stderr)}`);
        assert.match(text, /\/dev\/pts\/\d+\r?\n33 91\r?\n/);
      },
    );

    await step(`kubectl ${version} exec -i cat echoes stdin`, async () => {
      const text = `line one\n${"z".repeat(100_000)}\nlast\n`;
      const r = await kubectl.run(["exec", "-i", "shell", "--", "cat"], { stdin: text });
      assert.equal(ok(r, "exec -i"), text);
    });

    await step(`kubectl ${version} cp into the pod and back`, async () => {
      const local = join(server.scratchDir, `in-${version}.txt`);
      // Megabytes, so that frames split and windows and buffers fill on the way.
      const content = `copied by kubectl ${version}\n${"0123456789abcdef\n".repeat(250_000)}`;
      await Deno.writeTextFile(local, content);
      ok(await kubectl.run(["cp", local, `shell:/tmp/in-${version}.txt`]), "cp in");
      const inPod = await kubectl.run(["exec", "shell", "--", "cat", `/tmp/in-${version}.txt`]);
      assert.equal(ok(inPod, "cat"), content);
      const back = join(server.scratchDir, `back-${version}.txt`);
      ok(await kubectl.run(["cp", `shell:/tmp/in-${version}.txt`, back]), "cp out");
      assert.equal(await Deno.readTextFile(back), content);
    });

    await step(
      `kubectl ${version} attach -i reaches the container's stdin and stdout`,
      async () => {
        // kubectl's stdin stays open (an attached terminal would): the container answers first.
        const child = new Deno.Command(await kubectlBinary(version), {
          args: [`--kubeconfig=${kubeconfig}`, "attach", "-i", "shell"],
          env: { HOME: join(server.scratchDir, `front-home-${version}`), NO_COLOR: "1" },
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const writer = child.stdin.getWriter();
        const reader = child.stdout.getReader();
        try {
          await writer.write(new TextEncoder().encode(`from ${version}\n`));
          let out = "";
          const deadline = Date.now() + 20_000;
          while (!out.includes(`got: from ${version}`) && Date.now() < deadline) {
            const { value, done } = await reader.read();
            if (done) break;
            out += new TextDecoder().decode(value);
          }
          assert.match(out, new RegExp(`got: from ${version.replace(".", "\\.")}`));
        } finally {
          child.kill("SIGTERM");
          await writer.close().catch(() => {});
          await reader.cancel().catch(() => {});
          await child.stderr.cancel().catch(() => {});
          await child.status;
        }
      },
    );

    await step(`kubectl ${version} port-forward reaches busybox httpd`, async () => {
      const from = node.logger.records.length;
      await using pf = await kubectl.spawn(["port-forward", "pod/shell", `:${node.httpdPort}`]);
      const line = await pf.waitForOutput(/Forwarding from 127\.0\.0\.1:(\d+)/);
      const port = /127\.0\.0\.1:(\d+)/.exec(line)![1];
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(await res.text(), "hello-from-httpd\n");
      }
      assert.deepEqual(protocolsSince(from), [`portforward ${expected.portforward}`]);
    });
  }
});
