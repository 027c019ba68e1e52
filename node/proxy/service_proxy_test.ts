import assert from "node:assert/strict";
import type { EndpointSlice } from "../../control/api/types/discovery_v1.ts";
import { ENDPOINT_SLICES, SERVICES } from "../../control/client/resources.ts";
import { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import { FakeClock, RecordingLogger, systemClock } from "../../control/util/mod.ts";
import { startControllerApi, until } from "../../tests/_support/controller_api.ts";
import type { CommandResult, CommandRunner, RunOptions } from "../containerd/command_runner.ts";
import { deleteProxyTable, type ProxySyncInfo, ServiceProxy } from "./service_proxy.ts";

/** Records commands; `fail` decides which `nft` runs exit 1. */
class FakeRunner implements CommandRunner {
  readonly calls: { argv: string[]; stdin: string }[] = [];
  fail: (stdin: string) => boolean = () => false;
  run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const stdin = typeof options.stdin === "string" ? options.stdin : "";
    this.calls.push({ argv: [...argv], stdin });
    if (argv[0] === "nft" && this.fail(stdin)) {
      return Promise.resolve({ code: 1, stdout: "", stderr: "Error: Could not process rule" });
    }
    return Promise.resolve({ code: 0, stdout: "", stderr: "" });
  }
  get transactions(): string[] {
    return this.calls.filter((c) => c.argv[0] === "nft").map((c) => c.stdin);
  }
}

function slice(service: string, ips: string[], ready = true): EndpointSlice {
  return {
    metadata: {
      name: `${service}-1`,
      namespace: "default",
      labels: { "kubernetes.io/service-name": service },
    },
    addressType: "IPv4",
    ports: [{ name: "", port: 8080, protocol: "TCP" }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready }, nodeName: "n1" })),
  };
}

async function setup() {
  const api = await startControllerApi();
  const logger = new RecordingLogger();
  const clock = new FakeClock(1_000_000);
  const runner = new FakeRunner();
  const informers = new SharedInformerFactory(api.client, { clock: systemClock, logger });
  const syncs: ProxySyncInfo[] = [];
  const proxy = new ServiceProxy({ informers, clock, logger, runner }, {
    nodeName: "n1",
    nodeIPs: ["192.0.2.10", "127.0.0.1"],
    clusterCidr: "10.42.0.0/16",
    localServiceIPs: ["10.43.0.10"],
    minSyncPeriodMs: 10,
    onSync: (info) => syncs.push(info),
  });
  const stop = new AbortController();
  return {
    api,
    logger,
    clock,
    runner,
    proxy,
    syncs,
    start() {
      informers.start(stop.signal);
      return proxy.run(stop.signal);
    },
    /** Fires due timers until `n` transactions ran. */
    async syncUntil(n: number) {
      await until(() => {
        clock.advance(10);
        return runner.transactions.length >= n;
      }, { what: `${n} transactions` });
    },
    async [Symbol.asyncDispose]() {
      stop.abort();
      await informers.shutdown();
      await api[Symbol.asyncDispose]();
    },
  };
}

Deno.test("ServiceProxy syncs the whole table first, then only what changed", async () => {
  await using env = await setup();
  const services = env.api.client.resource(SERVICES);
  const slices = env.api.client.resource(ENDPOINT_SLICES);
  const web = await services.create({
    metadata: { name: "web", namespace: "default" },
    spec: { ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }] },
  });
  await services.create({
    metadata: { name: "kube-dns", namespace: "kube-system" },
    spec: { clusterIP: "10.43.0.10", ports: [{ port: 53, protocol: "UDP", targetPort: 53 }] },
  });
  await slices.create(slice("web", ["10.42.0.7", "10.42.0.8"]));
  const running = env.start();
  await env.syncUntil(1);
  await env.proxy.ready;
  const ip = web.spec!.clusterIP!;
  const [full] = env.runner.transactions;
  assert.match(full!, /^add table ip skiff-proxy\ndelete table ip skiff-proxy\n/);
  assert.ok(full!.includes(`${ip} . tcp . 80 : goto cluster-tcp-2`));
  assert.ok(full!.includes(`${ip} . 80 . 0 : 10.42.0.7 . 8080, ${ip} . 80 . 1 : 10.42.0.8 . 8080`));
  assert.ok(full!.includes("nodeport-ips { type ipv4_addr; elements = { 192.0.2.10 }; }"));
  // The node's own DNS address is left alone, and 127.0.0.1 never answers node ports.
  assert.ok(!/10\.43\.0\.10 \./.test(full!));
  assert.ok(!full!.includes("127.0.0.1 }"));
  assert.equal(env.syncs[0]!.full, true);
  // Nothing is scheduled while nothing changes.
  assert.equal(env.clock.pendingTimers, 0);

  const current = await slices.get("web-1", { namespace: "default" });
  await slices.update({
    ...current,
    endpoints: [current.endpoints![0]!, { addresses: ["10.42.0.9"] }],
  });
  await env.syncUntil(2);
  assert.equal(
    env.runner.transactions[1],
    `delete element ip skiff-proxy hairpin { 10.42.0.8 . 10.42.0.8 }
delete element ip skiff-proxy endpoints-tcp { ${ip} . 80 . 1 }
add element ip skiff-proxy hairpin { 10.42.0.9 . 10.42.0.9 }
add element ip skiff-proxy endpoints-tcp { ${ip} . 80 . 1 : 10.42.0.9 . 8080 }
`,
  );
  assert.equal(env.syncs[1]!.full, false);
  await until(() => env.clock.pendingTimers === 0, { what: "no timer left" });

  // The Service goes: its elements go; the shared chain stays for the next Service of its shape.
  await services.delete("web", { namespace: "default" });
  await env.syncUntil(3);
  const removal = env.runner.transactions[2]!;
  assert.ok(removal.includes(`delete element ip skiff-proxy service-ips { ${ip} . tcp . 80 }`));
  assert.ok(!removal.includes("chain"));
  assert.ok(!removal.includes("delete table"));
  assert.deepEqual(env.logger.messages("warn"), []);
  await Promise.race([running, Promise.resolve()]);
});

Deno.test("ServiceProxy retries a failed transaction as a full resync, after a backoff", async () => {
  await using env = await setup();
  const services = env.api.client.resource(SERVICES);
  const running = env.start();
  await env.syncUntil(1);
  env.runner.fail = (stdin) => !stdin.includes("delete table");
  const svc = await services.create({
    metadata: { name: "empty", namespace: "default" },
    spec: { ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }] },
  });
  await env.syncUntil(2);
  await until(() => env.logger.messages("warn").length === 1, { what: "the failure logged" });
  assert.deepEqual(env.logger.messages("warn"), [
    "Cannot sync service rules; retrying with a full resync",
  ]);
  // Backing off: a short wait runs nothing.
  env.clock.advance(20);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(env.runner.transactions.length, 2);
  env.clock.advance(30_000);
  await until(() => env.runner.transactions.length === 3, { what: "the full resync" });
  const retry = env.runner.transactions[2]!;
  assert.match(retry, /^add table ip skiff-proxy\ndelete table/);
  assert.ok(retry.includes(`${svc.spec!.clusterIP} . tcp . 80 : goto reject-chain`));
  await until(() => env.logger.messages("info").includes("Resynced service rules"), {
    what: "the recovery logged",
  });
  await Promise.race([running, Promise.resolve()]);
});

Deno.test("deleteProxyTable() deletes the table, present or not", async () => {
  const runner = new FakeRunner();
  await deleteProxyTable(runner, "t");
  assert.deepEqual(runner.calls, [{
    argv: ["nft", "-f", "-"],
    stdin: "add table ip t\ndelete table ip t\n",
  }]);
  runner.fail = () => true;
  await assert.rejects(deleteProxyTable(runner, "t"), /Cannot delete nft table "ip t"/);
});
