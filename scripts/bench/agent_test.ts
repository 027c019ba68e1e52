import assert from "node:assert/strict";
import {
  benchPod,
  clusterAddresses,
  criSnapshotter,
  parseAgentBenchArgs,
  verdict,
  withChildrenTicks,
} from "./agent.ts";

Deno.test("parseAgentBenchArgs() gives the goals' counts by default and smaller ones with --quick", async (t) => {
  await t.step("defaults", () => {
    assert.deepEqual(parseAgentBenchArgs([]), {
      quick: false,
      sequential: 50,
      batch: 30,
      idleSeconds: 30,
      inspect: false,
      agentV8Flags: "",
    });
  });
  await t.step("--quick", () => {
    const o = parseAgentBenchArgs(["--quick"]);
    assert.equal(o.sequential, 10);
    assert.equal(o.batch, 10);
    assert.equal(o.idleSeconds, 10);
  });
  await t.step("given counts win over --quick", () => {
    const o = parseAgentBenchArgs([
      "--quick",
      "--sequential",
      "5",
      "--batch",
      "3",
      "--idle-seconds",
      "2",
      "--log-dir",
      "/tmp/l",
      "--inspect",
      "--agent-v8-flags=--trace-gc",
      "--agent-entry",
      "/tmp/agent_only.ts",
    ]);
    assert.deepEqual(o, {
      quick: true,
      sequential: 5,
      batch: 3,
      idleSeconds: 2,
      logDir: "/tmp/l",
      inspect: true,
      agentV8Flags: "--trace-gc",
      agentEntry: "/tmp/agent_only.ts",
    });
  });
});

Deno.test("parseAgentBenchArgs() throws a RangeError for a count that is not a positive integer", async (t) => {
  const cases: [string[], RegExp][] = [
    [["--sequential", "0"], /Cannot use --sequential "0": expected a positive integer/],
    [["--batch", "x"], /Cannot use --batch "x": expected a positive integer/],
    [["--idle-seconds", "1.5"], /Cannot use --idle-seconds "1.5": expected a positive integer/],
  ];
  for (const [args, message] of cases) {
    await t.step(args.join(" "), () => {
      assert.throws(() => parseAgentBenchArgs(args), (err) => {
        assert.ok(err instanceof RangeError);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});

Deno.test("criSnapshotter() reads the CRI plugin's snapshotter from a containerd config", () => {
  const toml = '[plugins."io.containerd.grpc.v1.cri".containerd]\n    snapshotter = "native"\n';
  assert.equal(criSnapshotter(toml), "native");
  assert.equal(criSnapshotter("version = 2\n"), undefined);
});

Deno.test("benchPod() is a busybox sleep that is never pulled and stops within 1 s", () => {
  const pod = benchPod("seq-1") as {
    metadata: { name: string; labels: Record<string, string> };
    spec: {
      containers: { image: string; imagePullPolicy: string; command: string[] }[];
      terminationGracePeriodSeconds: number;
      hostNetwork?: boolean;
      nodeName?: string;
    };
  };
  assert.equal(pod.metadata.name, "seq-1");
  assert.equal(pod.metadata.labels["skiff-bench"], "agent");
  assert.deepEqual(pod.spec.containers.map((c) => [c.image, c.imagePullPolicy, c.command]), [
    ["docker.io/skiff/busybox:1.36", "Never", ["sleep", "3600"]],
  ]);
  assert.equal(pod.spec.terminationGracePeriodSeconds, 1);
  assert.equal(pod.spec.hostNetwork, undefined);
  assert.equal(pod.spec.nodeName, undefined, "the scheduler binds it");
});

Deno.test("verdict() names a met and a missed goal", () => {
  assert.equal(verdict(true), "met");
  assert.equal(verdict(false), "MISSED");
});

Deno.test("withChildrenTicks() adds utime, stime, cutime and cstime", () => {
  const rest = "S 1 2 3 4 5 6 7 8 9 10 250 50 30 20 20 0 1 0 100 2000 300";
  assert.equal(withChildrenTicks(`42 (containerd) ${rest}`), 3.5);
  assert.equal(withChildrenTicks(`42 (a) b) ${rest}`), 3.5);
});

Deno.test("clusterAddresses() picks the bridge's addresses in the benchmark's pod network", () => {
  const json = JSON.stringify([{
    ifname: "skiff0",
    addr_info: [
      { family: "inet", local: "10.42.0.1", prefixlen: 24 },
      { family: "inet", local: "10.160.0.1", prefixlen: 24 },
      { family: "inet6", local: "fe80::1", prefixlen: 64 },
    ],
  }]);
  assert.deepEqual(clusterAddresses(json), ["10.160.0.1/24"]);
  assert.deepEqual(clusterAddresses("[]"), []);
});
