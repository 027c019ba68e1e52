import assert from "node:assert/strict";
import { NETWORK_POLICIES, PODS } from "../../control/client/resources.ts";
import { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import { FakeClock, systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import type { CommandResult, CommandRunner, RunOptions } from "../containerd/command_runner.ts";
import {
  type ControllerApi,
  createPod,
  setPodStatus,
  startControllerApi,
  until,
} from "../../tests/_support/controller_api.ts";
import { deleteNetpolTable, NetworkPolicyEnforcer } from "./network_policy_enforcer.ts";

interface Call {
  readonly argv: readonly string[];
  readonly stdin: string;
}

class RecordingRunner implements CommandRunner {
  readonly calls: Call[] = [];
  /** Exit codes for the next nft runs (then 0). */
  readonly nftCodes: number[] = [];

  run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const stdin = typeof options.stdin === "string" ? options.stdin : "";
    this.calls.push({ argv, stdin });
    const code = argv[0] === "nft" ? this.nftCodes.shift() ?? 0 : 0;
    return Promise.resolve({ code, stdout: "", stderr: code === 0 ? "" : "Error: boom" });
  }

  get nft(): Call[] {
    return this.calls.filter((c) => c.argv[0] === "nft");
  }
}

interface Harness extends AsyncDisposable {
  readonly api: ControllerApi;
  readonly runner: RecordingRunner;
  readonly clock: FakeClock;
  readonly logger: RecordingLogger;
  readonly enforcer: NetworkPolicyEnforcer;
  readonly done: Promise<void>;
  /** Fires the debounce (or retry) timer once the enforcer waits on it. */
  fireTimer(): Promise<void>;
}

async function start(): Promise<Harness> {
  const api = await startControllerApi();
  await createPod(api.client, {
    namespace: "default",
    name: "db",
    nodeName: "n1",
    labels: { app: "db" },
  });
  await setPodStatus(api.client, { namespace: "default", name: "db", podIP: "10.42.0.5" });
  await createPod(api.client, {
    namespace: "default",
    name: "web",
    nodeName: "n2",
    labels: { app: "web" },
  });
  await setPodStatus(api.client, { namespace: "default", name: "web", podIP: "10.42.1.7" });
  await api.client.resource(NETWORK_POLICIES).create({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { namespace: "default", name: "db" },
    spec: {
      podSelector: { matchLabels: { app: "db" } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }] }],
    },
  });
  const runner = new RecordingRunner();
  const clock = new FakeClock(1_000);
  const logger = new RecordingLogger();
  const informers = new SharedInformerFactory(api.client, { clock: systemClock, logger });
  const enforcer = new NetworkPolicyEnforcer(
    { informers, clock, logger, runner },
    { nodeName: "n1", table: "np", debounceMs: 50 },
  );
  const controller = new AbortController();
  informers.start(controller.signal);
  const done = enforcer.run(controller.signal);
  return {
    api,
    runner,
    clock,
    logger,
    enforcer,
    done,
    async fireTimer() {
      await until(() => clock.pendingTimers > 0, { what: "a timer" });
      clock.runNext();
    },
    async [Symbol.asyncDispose]() {
      controller.abort();
      await done;
      await informers.shutdown();
      await api[Symbol.asyncDispose]();
    },
  };
}

Deno.test("NetworkPolicyEnforcer writes the whole table once the caches have synced", async () => {
  await using h = await start();
  await h.enforcer.ready;
  assert.deepEqual(h.runner.calls[0]?.argv, [
    "sysctl",
    "-w",
    "net.bridge.bridge-nf-call-iptables=1",
  ]);
  assert.equal(h.runner.nft.length, 1);
  const [first] = h.runner.nft;
  assert.deepEqual(first!.argv, ["nft", "-f", "-"]);
  assert.match(first!.stdin, /^add table inet np\ndelete table inet np\nadd table inet np\n/);
  assert.match(first!.stdin, /add element inet np ingress-pods \{ 10\.42\.0\.5 : goto /);
  assert.match(first!.stdin, /add element inet np pods-\w+ \{ 10\.42\.1\.7 \}/);
  assert.equal(h.enforcer.stats.fullSyncs, 1);
  assert.equal(h.clock.pendingTimers, 0, "no timer while nothing changes");
});

Deno.test("NetworkPolicyEnforcer sends a label change as set elements only", async () => {
  await using h = await start();
  await h.enforcer.ready;
  await createPod(h.api.client, {
    namespace: "default",
    name: "web-2",
    nodeName: "n2",
    labels: { app: "other" },
  });
  await setPodStatus(h.api.client, { namespace: "default", name: "web-2", podIP: "10.42.1.8" });
  await h.fireTimer();
  await until(() => h.runner.nft.length === 1 && h.clock.pendingTimers === 0, {
    what: "idle",
  });
  // The new pod selects nothing: no transaction at all.
  assert.equal(h.runner.nft.length, 1);

  const pods = h.api.client.resource(PODS);
  const pod = await pods.get("web-2", { namespace: "default" });
  pod.metadata!.labels = { app: "web" };
  await pods.update(pod);
  await h.fireTimer();
  await until(() => h.runner.nft.length === 2, { what: "the second transaction" });
  assert.match(h.runner.nft[1]!.stdin, /^add element inet np pods-\w+ \{ 10\.42\.1\.8 \}\n$/);
  assert.equal(h.enforcer.stats.fullSyncs, 1);
  assert.equal(h.enforcer.stats.lastLines, 1);
});

Deno.test("NetworkPolicyEnforcer ignores pod updates that cannot change the rules", async () => {
  await using h = await start();
  await h.enforcer.ready;
  await setPodStatus(h.api.client, {
    namespace: "default",
    name: "web",
    podIP: "10.42.1.7",
    ready: false,
  });
  const pods = h.api.client.resource(PODS);
  const pod = await pods.get("web", { namespace: "default" });
  pod.metadata!.annotations = { note: "x" };
  await pods.update(pod);
  await until(() => h.enforcer.stats.applied === 1, { what: "first sync" });
  // Give the watch events time to arrive; nothing may be scheduled.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(h.clock.pendingTimers, 0);
  assert.equal(h.runner.nft.length, 1);
});

Deno.test("NetworkPolicyEnforcer retries a failed sync with backoff, as a full sync", async () => {
  await using h = await start();
  await h.enforcer.ready;
  h.runner.nftCodes.push(1);
  await h.api.client.resource(NETWORK_POLICIES).delete("db", { namespace: "default" });
  await h.fireTimer(); // debounce
  await until(() => h.enforcer.stats.failures === 1, { what: "the failure" });
  const error = h.logger.records.find((r) => r.msg === "Cannot sync network policies");
  assert.ok(error, "the failure is logged");
  assert.match(
    String((error.fields?.error as Error).message),
    /^Cannot apply network policies to table "inet np": nft exited with 1: Error: boom$/,
  );
  assert.match(h.runner.nft[1]!.stdin, /^delete element inet np/);
  await h.fireTimer(); // backoff
  await until(() => h.runner.nft.length === 3, { what: "the retry" });
  assert.match(h.runner.nft[2]!.stdin, /^add table inet np\ndelete table inet np\n/);
  assert.doesNotMatch(h.runner.nft[2]!.stdin, /add element inet np ingress-pods/);
  assert.equal(h.enforcer.stats.fullSyncs, 2);
});

Deno.test("NetworkPolicyEnforcer joins changes within the debounce into one transaction", async () => {
  await using h = await start();
  await h.enforcer.ready;
  const policies = h.api.client.resource(NETWORK_POLICIES);
  for (const name of ["a", "b", "c"]) {
    await policies.create({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { namespace: "default", name },
      spec: { podSelector: {}, policyTypes: ["Egress"] },
    });
  }
  await until(() => h.enforcer.stats.applied === 1 && h.clock.pendingTimers > 0, {
    what: "the debounce timer",
  });
  // Let the other events arrive before the timer fires.
  await new Promise((resolve) => setTimeout(resolve, 100));
  await h.fireTimer();
  await until(() => h.runner.nft.length === 2, { what: "the transaction" });
  const text = h.runner.nft[1]!.stdin;
  for (const name of ["a", "b", "c"]) {
    assert.match(text, new RegExp(`add chain inet np egress-\\w+-default/${name}\\n`));
  }
  assert.equal(h.runner.nft.length, 2);
});

Deno.test("NetworkPolicyEnforcer.ready rejects when run stops before a sync", async () => {
  await using api = await startControllerApi();
  const logger = new RecordingLogger();
  const informers = new SharedInformerFactory(api.client, { clock: systemClock, logger });
  const enforcer = new NetworkPolicyEnforcer(
    { informers, clock: new FakeClock(), logger, runner: new RecordingRunner() },
    { nodeName: "n1" },
  );
  const controller = new AbortController();
  controller.abort();
  await enforcer.run(controller.signal);
  await assert.rejects(enforcer.ready, /stopped before its first sync/);
  assert.deepEqual(
    logger.records.map((r) => r.msg),
    ["Starting network policy enforcer", "Shutting down network policy enforcer"],
  );
});

Deno.test("deleteNetpolTable() removes the table whether or not it exists", async () => {
  const runner = new RecordingRunner();
  await deleteNetpolTable(runner, { table: "np" });
  assert.deepEqual(runner.calls, [{
    argv: ["nft", "-f", "-"],
    stdin: "add table inet np\ndelete table inet np\n",
  }]);
  runner.nftCodes.push(1);
  await assert.rejects(
    deleteNetpolTable(runner),
    /^Error: Cannot delete table "inet skiff-netpol": nft exited with 1: Error: boom$/,
  );
});
