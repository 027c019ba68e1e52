/**
 * The real kubectl 1.27–1.33 (SPDY up to 1.29, WebSocket v5 from 1.30, tunnelled port-forward
 * from 1.31) running `exec` (exit codes), `exec -it` on a pseudo-terminal (its size reaches the
 * container), `exec -i`, `cp` both ways, `attach -i` and `port-forward` against a real
 * `skiff server` with its node agent (as root: containerd, skiff's CNI plugin and busybox
 * image), through the server's own kubeconfig. The server streams to its agent's kubelet API
 * and logs, at debug level, which protocol each stream used; the test reads those lines back.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { NODES } from "../../control/client/resources.ts";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import {
  Kubectl,
  KUBECTL_VERSIONS,
  kubectlBinary,
  type KubectlResult,
  type KubectlVersion,
} from "../_support/kubectl.ts";
import { startTestServer, type TestServer } from "../_support/skiff_server.ts";

const NODE_NAME = "streaming-node";
const IMAGE = "docker.io/skiff/busybox:1.36";
const HTTPD_PORT = 8080;
/** The server's log line for each stream it opens to a kubelet. */
const STREAM_LOG_MSG = "Streaming to the kubelet";

/** The protocol each step's requests reached the kubelet with, by kubectl version. */
function expectedProtocols(version: KubectlVersion): { exec: string; portforward: string } {
  const minor = Number(version.split(".")[1]);
  return {
    exec: minor >= 30 ? "v5.channel.k8s.io" : "spdy",
    portforward: minor >= 31 ? "SPDY/3.1+portforward.k8s.io" : "spdy",
  };
}

/** `subresource protocol` of each stream the server logged at or after `since` (epoch ms). */
function protocolsSince(log: string, since: number): string[] {
  const out: string[] = [];
  for (const line of log.split("\n")) {
    if (!line.includes(STREAM_LOG_MSG)) continue;
    let record: { time?: string; msg?: string; subresource?: string; protocol?: string };
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (record.msg !== STREAM_LOG_MSG || Date.parse(record.time ?? "") < since) continue;
    out.push(`${record.subresource} ${record.protocol}`);
  }
  return out;
}

/**
 * The streams logged since `since`, once there are `count` of them (the log reaches the test
 * through a pipe) or after 5 s.
 */
async function loggedStreams(server: TestServer, since: number, count: number) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = protocolsSince(server.logTail(400), since);
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("kubectl exec, cp, attach and port-forward reach the agent's pods through skiff server", async (t) => {
  await using server = await startTestServer({
    agent: true,
    args: [
      "--node-name",
      NODE_NAME,
      "--cluster-cidr",
      "10.137.0.0/16",
      // The streaming hooks log each stream's protocol at debug level.
      "--log-level",
      "debug",
    ],
    readyTimeoutMs: 90_000,
  });
  using cluster = e2eCluster(server, { waitMs: 90_000 });
  const { client, runOk, eventually } = cluster;

  async function step(name: string, fn: () => Promise<void>): Promise<void> {
    if (!await t.step(name, fn)) {
      throw new Error(`Step "${name}" failed; server log:\n${server.logTail(30)}`);
    }
  }

  await step("the node is Ready and the pod runs httpd and echoes its stdin", async () => {
    await eventually("the node to be Ready", async () => {
      const node = await client.resource(NODES).get(NODE_NAME).catch(() => undefined);
      return node?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ??
        false;
    });
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "shell", namespace: "default" },
      spec: {
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 1,
        containers: [{
          name: "main",
          image: IMAGE,
          imagePullPolicy: "Never",
          stdin: true,
          command: ["sh", "-c"],
          args: [
            "mkdir -p /tmp/www && echo hello-from-httpd > /tmp/www/index.html && " +
            `httpd -p ${HTTPD_PORT} -h /tmp/www && ` +
            "while read line; do echo got: $line; done; sleep 3600",
          ],
          readinessProbe: { httpGet: { path: "/", port: HTTPD_PORT }, periodSeconds: 1 },
        }],
      },
    };
    await eventually(
      "the pod created (its ServiceAccount exists)",
      async () => (await cluster.run(["create", "-f", "-"], JSON.stringify(pod))).code === 0,
    );
    await runOk(["wait", "--for=condition=Ready", "pod/shell", "--timeout=90s"]);
  });

  for (const version of KUBECTL_VERSIONS) {
    const expected = expectedProtocols(version);
    const homeDir = join(server.scratchDir, `home-${version}`);
    const kubectl = new Kubectl(version, { kubeconfig: server.kubeconfig, homeDir });
    const ok = (r: KubectlResult, what: string) => {
      assert.equal(r.code, 0, `${what} (kubectl ${version}) exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    };

    await step(`kubectl ${version} exec: output, and exit code 3`, async () => {
      const from = Date.now();
      const hi = await kubectl.run(["exec", "shell", "--", "sh", "-c", "echo hi; echo oops >&2"]);
      assert.equal(ok(hi, "exec"), "hi\n");
      assert.equal(hi.stderr, "oops\n");
      const three = await kubectl.run(["exec", "shell", "--", "sh", "-c", "exit 3"]);
      assert.equal(three.code, 3, three.stderr);
      assert.match(three.stderr, /command terminated with exit code 3/);
      assert.deepEqual(await loggedStreams(server, from, 2), [
        `exec ${expected.exec}`,
        `exec ${expected.exec}`,
      ]);
    });

    await step(
      `kubectl ${version} exec -it runs on a terminal of the terminal's size`,
      async () => {
        // util-linux `script` gives kubectl a pseudo-terminal of 91x33, as a user's shell would:
        // kubectl sends that size on the resize stream and the container's TTY takes it (the
        // image's busybox has every applet, stty included, under its own name).
        const binary = await kubectlBinary(version);
        const inner = `${binary} --kubeconfig=${server.kubeconfig} exec -it shell -- ` +
          `sh -c 'sleep 0.5; tty; busybox stty size; exit 5'`;
        const out = await new Deno.Command("script", {
          args: ["-qec", `stty cols 91 rows 33; ${inner}`, "/dev/null"],
          env: { HOME: homeDir, NO_COLOR: "1", TERM: "dumb" },
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
      ok(await kubectl.run(["exec", "shell", "--", "rm", `/tmp/in-${version}.txt`]), "rm");
    });

    await step(
      `kubectl ${version} attach -i reaches the container's stdin and stdout`,
      async () => {
        // kubectl's stdin stays open (an attached terminal would): the container answers first.
        const child = new Deno.Command(await kubectlBinary(version), {
          args: [`--kubeconfig=${server.kubeconfig}`, "attach", "-i", "shell"],
          env: { HOME: homeDir, NO_COLOR: "1" },
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
      const from = Date.now();
      await using pf = await kubectl.spawn(["port-forward", "pod/shell", `:${HTTPD_PORT}`]);
      const line = await pf.waitForOutput(/Forwarding from 127\.0\.0\.1:(\d+)/);
      const port = /127\.0\.0\.1:(\d+)/.exec(line)![1];
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(await res.text(), "hello-from-httpd\n");
      }
      assert.deepEqual(await loggedStreams(server, from, 1), [
        `portforward ${expected.portforward}`,
      ]);
    });
  }
});
