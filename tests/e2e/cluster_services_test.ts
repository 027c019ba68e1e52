/**
 * Services, cluster DNS and NetworkPolicy on a real two-node cluster, as root: node A is
 * `skiff server` with its agent, node B `skiff agent`, each a network namespace with its own
 * containerd, joined over a shared link with the default VXLAN overlay
 * ({@linkcode startTwoNodeCluster}). Every check goes through the real kernel: skiff's
 * nftables proxy on each node, its node-local DNS, its NetworkPolicy table, real pods (busybox
 * httpd and wget) and the real kubectl. What issue 8 lists is checked here: a pod reaches a
 * ClusterIP and a Service name (on both nodes' backends), a NodePort and a LoadBalancer address
 * from outside the node, session affinity sticks, a Service without endpoints refuses at once,
 * an endpoint going unready stops getting traffic, and NetworkPolicy denies, then allows.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Service } from "../../control/api/types/core_v1_service.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { SERVICES } from "../../control/client/resources.ts";
import { inNetns, sh } from "../_support/netns.ts";
import {
  startTwoNodeCluster,
  TEST_IMAGE,
  type TwoNodeCluster,
  webPod,
} from "../_support/two_node_cluster.ts";

/** A pod that only sleeps: the client the checks `kubectl exec` into. */
function clientPod(name: string, node: string): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels: { role: "client" } },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 1,
      containers: [{
        name: "sh",
        image: TEST_IMAGE,
        imagePullPolicy: "Never",
        command: ["sleep", "3600"],
      }],
    },
  };
}

function service(name: string, spec: Service["spec"]): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default" },
    spec: {
      ports: [{ name: "http", port: 80, targetPort: "http" }],
      ...spec,
    },
  };
}

/** What `wget` in pod `from` got from `url`: the page, or the error with how long it took. */
interface Fetched {
  readonly ok: boolean;
  readonly body: string;
  readonly ms: number;
}

async function fetchFrom(c: TwoNodeCluster, from: string, url: string): Promise<Fetched> {
  const started = performance.now();
  // `timeout`, not `wget -T`: busybox 1.35's wget crashes (SIGSEGV) with -T.
  const r = await c.cluster.run(["exec", from, "--", "timeout", "3", "wget", "-qO-", url]);
  return {
    ok: r.code === 0,
    body: r.code === 0 ? r.stdout.trim() : `${r.stdout}${r.stderr}`.trim(),
    ms: performance.now() - started,
  };
}

/** `wget` from a host's own namespace (outside every pod), with busybox. */
async function fetchFromHost(netns: string, url: string): Promise<Fetched> {
  const started = performance.now();
  const r = await sh(inNetns(netns, ["timeout", "3", "busybox", "wget", "-qO-", url]));
  return {
    ok: r.code === 0,
    body: r.code === 0 ? r.stdout.trim() : `${r.stdout}${r.stderr}`.trim(),
    ms: performance.now() - started,
  };
}

/** The pods that answered `n` requests from `from` to `url`. */
async function answering(
  c: TwoNodeCluster,
  o: { from: string; url: string; n: number },
): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < o.n; i++) {
    const r = await fetchFrom(c, o.from, o.url);
    assert.ok(r.ok, `${o.from} → ${o.url}: ${r.body}`);
    seen.add(r.body.replace(/^hello from /, ""));
  }
  return seen;
}

Deno.test("Services, DNS and NetworkPolicy work across two real nodes", async (t) => {
  await using c = await startTwoNodeCluster();
  const { runOk, eventually, client } = c.cluster;
  const { b, aIp } = c.topology;
  const services = client.resource(SERVICES);
  const eventuallyFetch = (what: string, check: () => Promise<Fetched>, want: RegExp) => {
    let last = "";
    return eventually(what, async () => {
      const r = await check();
      last = r.body;
      return r.ok && want.test(r.body);
    }).catch((err) => {
      throw new Error(`${err.message}; last answer: ${last}\nagent log:\n${c.agent.logTail(30)}`);
    });
  };

  await t.step("backends on both nodes and a client pod run", async () => {
    await runOk(["apply", "-f", "-"], JSON.stringify(webPod("web-a", { node: "node-a" })));
    await runOk(["apply", "-f", "-"], JSON.stringify(webPod("web-b", { node: "node-b" })));
    await runOk(["apply", "-f", "-"], JSON.stringify(clientPod("client", "node-a")));
    await runOk([
      "wait",
      "--for=condition=Ready",
      "pod/web-a",
      "pod/web-b",
      "pod/client",
      "--timeout=120s",
    ]);
  });

  let clusterIp = "";
  await t.step("a pod reaches a ClusterIP, load-balanced over both nodes' pods", async () => {
    await runOk(["apply", "-f", "-"], JSON.stringify(service("web", { selector: { app: "net" } })));
    clusterIp = (await services.get("web", { namespace: "default" })).spec?.clusterIP ?? "";
    await eventuallyFetch(
      "the ClusterIP to answer",
      () => fetchFrom(c, "client", `http://${clusterIp}/`),
      /^hello from web-/,
    );
    const seen = await answering(c, { from: "client", url: `http://${clusterIp}/`, n: 20 });
    assert.deepEqual([...seen].sort(), ["web-a", "web-b"]);
  });

  await t.step("a pod reaches a Service by name through the node-local DNS", async () => {
    for (const name of ["web", "web.default", "web.default.svc.cluster.local"]) {
      await eventuallyFetch(
        `http://${name}/`,
        () => fetchFrom(c, "client", `http://${name}/`),
        /^hello from web-/,
      );
    }
    // busybox's nslookup uses no search path (wget's resolver above does): full names.
    const lookup = await runOk([
      "exec",
      "client",
      "--",
      "nslookup",
      "kubernetes.default.svc.cluster.local",
    ]);
    assert.match(lookup, /Address:?\s+10\.43\.0\.1\b/);
    const missing = await c.cluster.run([
      "exec",
      "client",
      "--",
      "nslookup",
      "nothing.default.svc.cluster.local",
    ]);
    assert.notEqual(missing.code, 0, "an unknown Service name does not resolve");
  });

  await t.step("a NodePort answers on the node's address from outside the node", async () => {
    await runOk(
      ["apply", "-f", "-"],
      JSON.stringify(service("web-np", { type: "NodePort", selector: { app: "net" } })),
    );
    const port = (await services.get("web-np", { namespace: "default" })).spec?.ports?.[0]
      ?.nodePort;
    assert.ok(port, "a nodePort is allocated");
    // From node B's own namespace (not a pod), to node A's address.
    await eventuallyFetch(
      "the NodePort to answer",
      () => fetchFromHost(b, `http://${aIp}:${port}/`),
      /^hello from web-/,
    );
  });

  await t.step("a LoadBalancer gets the nodes' addresses and answers on them", async () => {
    await runOk(
      ["apply", "-f", "-"],
      JSON.stringify({
        ...service("web-lb", { type: "LoadBalancer", selector: { app: "net" } }),
        spec: {
          type: "LoadBalancer",
          selector: { app: "net" },
          ports: [{ name: "http", port: 8181, targetPort: "http" }],
        },
      }),
    );
    let ingress: string[] = [];
    await eventually("status.loadBalancer.ingress", async () => {
      const svc = await services.get("web-lb", { namespace: "default" });
      ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "").filter(Boolean);
      return ingress.length === 2;
    });
    assert.deepEqual(ingress.sort(), [aIp, c.topology.bIp].sort());
    const wide = await runOk(["get", "service", "web-lb"]);
    assert.match(wide, new RegExp(aIp.replace(/\./g, "\\.")));
    await eventuallyFetch(
      "the LoadBalancer address to answer",
      () => fetchFromHost(b, `http://${aIp}:8181/`),
      /^hello from web-/,
    );
  });

  await t.step("sessionAffinity ClientIP keeps a client on one pod", async () => {
    await runOk(
      ["apply", "-f", "-"],
      JSON.stringify(service("web-sticky", {
        selector: { app: "net" },
        sessionAffinity: "ClientIP",
      })),
    );
    const ip = (await services.get("web-sticky", { namespace: "default" })).spec?.clusterIP ?? "";
    await eventuallyFetch(
      "the sticky Service to answer",
      () => fetchFrom(c, "client", `http://${ip}/`),
      /^hello from web-/,
    );
    const seen = await answering(c, { from: "client", url: `http://${ip}/`, n: 12 });
    assert.equal(seen.size, 1, `one pod answers: ${[...seen]}`);
  });

  await t.step("a Service with no endpoints refuses at once", async () => {
    await runOk(
      ["apply", "-f", "-"],
      JSON.stringify(service("empty", { selector: { app: "none" } })),
    );
    const ip = (await services.get("empty", { namespace: "default" })).spec?.clusterIP ?? "";
    let last: Fetched | undefined;
    await eventually("the empty Service to be refused", async () => {
      last = await fetchFrom(c, "client", `http://${ip}/`);
      return !last.ok && /refused/i.test(last.body);
    });
    assert.ok(last!.ms < 2500, `refused in ${Math.round(last!.ms)} ms, not timed out`);
  });

  await t.step("an endpoint going unready stops getting traffic", async () => {
    // web-b's readiness probe fetches "/": without its page it fails.
    await runOk(["exec", "web-b", "--", "rm", "/www/index.html"]);
    await eventually("web-b to be unready", async () => {
      const pod = await c.cluster.json(["get", "pod", "web-b", "-o", "json"]);
      return pod.status?.conditions?.some((x: { type: string; status: string }) =>
        x.type === "Ready" && x.status === "False"
      ) ?? false;
    });
    await eventually("only web-a to answer", async () => {
      const seen = await answering(c, { from: "client", url: `http://${clusterIp}/`, n: 8 })
        .catch(() => new Set(["error"]));
      return seen.size === 1 && seen.has("web-a");
    });
    await runOk(["exec", "web-b", "--", "sh", "-c", "echo hello from web-b > /www/index.html"]);
  });

  await t.step("NetworkPolicy: default deny ingress, then allow the client", async () => {
    await runOk(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "deny-web", namespace: "default" },
        spec: { podSelector: { matchLabels: { app: "net" } }, policyTypes: ["Ingress"] },
      }),
    );
    const podIp = (await c.cluster.json(["get", "pod", "web-a", "-o", "json"])).status.podIP;
    await eventually(
      "web-a to be unreachable",
      async () => !(await fetchFrom(c, "client", `http://${podIp}:8080/`)).ok,
    );
    await runOk(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "allow-client", namespace: "default" },
        spec: {
          podSelector: { matchLabels: { app: "net" } },
          ingress: [{
            from: [{ podSelector: { matchLabels: { role: "client" } } }],
            ports: [{ port: "http" }],
          }],
        },
      }),
    );
    await eventuallyFetch(
      "web-a to be reachable again",
      () => fetchFrom(c, "client", `http://${podIp}:8080/`),
      /^hello from web-a/,
    );
    // Through the Service too, to the pod on the other node.
    const bIp = (await c.cluster.json(["get", "pod", "web-b", "-o", "json"])).status.podIP;
    await eventuallyFetch(
      "web-b across nodes",
      () => fetchFrom(c, "client", `http://${bIp}:8080/`),
      /^hello from web-b/,
    );
    await runOk(["delete", "networkpolicy", "deny-web", "allow-client"]);
  });
});
