import assert from "node:assert/strict";
import { Client } from "./client/client.ts";
import { ScriptedTransport } from "./client/_test_transport.ts";
import { RecordingLogger } from "./util/logger.ts";
import { agentClusterDns } from "./agent_cluster_dns.ts";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function kubeDns(clusterIP: string) {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace: "kube-system", name: "kube-dns" },
    spec: { clusterIP },
  };
}

const NOT_FOUND = {
  apiVersion: "v1",
  kind: "Status",
  status: "Failure",
  reason: "NotFound",
  code: 404,
  message: 'services "kube-dns" not found',
};

Deno.test("agentClusterDns() takes --cluster-dns as given without asking", async () => {
  const transport = new ScriptedTransport(() => json(200, kubeDns("10.43.0.99")));
  const logger = new RecordingLogger();
  const ip = await agentClusterDns(
    { clusterDns: "10.43.0.53", serviceCidr: "10.43.0.0/16" },
    { client: new Client(transport), logger },
  );
  assert.equal(ip, "10.43.0.53");
  assert.equal(transport.requests.length, 0);
});

Deno.test("agentClusterDns() takes the server's kube-dns clusterIP, else the default", async (t) => {
  const cases: {
    name: string;
    answer: () => Response | Promise<Response>;
    serviceCidr?: string;
    ip: string;
    level: "info" | "warn";
    msg: RegExp;
  }[] = [
    {
      name: "the server's Service",
      answer: () => json(200, kubeDns("10.43.0.53")),
      ip: "10.43.0.53",
      level: "info",
      msg: /^Using the server's cluster DNS address$/,
    },
    {
      name: "no Service (the server runs with --disable dns)",
      answer: () => json(404, NOT_FOUND),
      serviceCidr: "10.96.0.0/12",
      ip: "10.96.0.10",
      level: "info",
      msg: /^The server keeps no cluster DNS Service/,
    },
    {
      name: "a headless Service",
      answer: () => json(200, kubeDns("None")),
      ip: "10.43.0.10",
      level: "warn",
      msg: /has no clusterIP/,
    },
    {
      name: "the server's address outside the agent's --service-cidr",
      answer: () => json(200, kubeDns("10.53.0.10")),
      ip: "10.53.0.10",
      level: "warn",
      msg: /outside --service-cidr: set --service-cidr as on the server$/,
    },
    {
      name: "a server that fails",
      answer: () => json(500, { kind: "Status", code: 500, message: "etcd is down" }),
      ip: "10.43.0.10",
      level: "warn",
      msg: /^Cannot read the server's cluster DNS Service/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const transport = new ScriptedTransport(c.answer);
      const logger = new RecordingLogger();
      const ip = await agentClusterDns(
        { clusterDns: null, serviceCidr: c.serviceCidr ?? "10.43.0.0/16" },
        { client: new Client(transport), logger },
      );
      assert.equal(ip, c.ip);
      assert.deepEqual(transport.requests.map((r) => `${r.method} ${r.pathname}`), [
        "GET /api/v1/namespaces/kube-system/services/kube-dns",
      ]);
      assert.ok(
        logger.records.some((r) => r.level === c.level && c.msg.test(r.msg)),
        JSON.stringify(logger.records),
      );
    });
  }
});

Deno.test("agentClusterDns() gives up on a server that does not answer in time", async () => {
  const transport = new ScriptedTransport((req) =>
    new Promise((_, reject) => {
      req.signal?.addEventListener("abort", () => reject(req.signal?.reason), { once: true });
    })
  );
  const logger = new RecordingLogger();
  const ip = await agentClusterDns(
    { clusterDns: null, serviceCidr: "10.43.0.0/16" },
    { client: new Client(transport), logger, timeoutMs: 20 },
  );
  assert.equal(ip, "10.43.0.10");
  assert.ok(logger.records.some((r) => r.level === "warn"));
});
