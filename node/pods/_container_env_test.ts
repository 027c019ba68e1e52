import assert from "node:assert/strict";
import type { Container, Pod } from "../../control/api/types/core_v1_pod.ts";
import type { ConfigMap, Secret } from "../../control/api/types/core_v1_config.ts";
import {
  type EnvContext,
  type EnvEvent,
  makeEnvironment,
  podFieldValue,
  sortPodIps,
} from "./_container_env.ts";

function b64(s: string): string {
  return btoa(s);
}

const configMaps: Record<string, ConfigMap> = {
  cfg: { data: { A: "1", B: "2", "1bad": "x", "a.b": "y", "has space": "z" } },
};
const secrets: Record<string, Secret> = {
  creds: { data: { PASS: b64("s3cret"), "bad key": b64("q") } },
};

function pod(containers: Container[]): Pod {
  return {
    metadata: {
      name: "web",
      namespace: "default",
      uid: "u1",
      labels: { app: "web" },
      annotations: { note: "hi" },
    },
    spec: { containers, nodeName: "edge-1", serviceAccountName: "sa" },
  };
}

function ctx(container: Container, extra: Partial<EnvContext> = {}): EnvContext {
  return {
    pod: pod([container]),
    container,
    configMaps: { getConfigMap: (_ns, n) => Promise.resolve(configMaps[n]) },
    secrets: { getSecret: (_ns, n) => Promise.resolve(secrets[n]) },
    nodeAllocatable: { cpu: "4", memory: "8Gi" },
    podIps: ["10.42.0.5", "fd00::5"],
    hostIps: ["192.168.1.2"],
    ...extra,
  };
}

Deno.test("makeEnvironment() builds the variables as the kubelet does", async (t) => {
  const cases: { name: string; container: Container; want: [string, string][] }[] = [
    {
      name: "plain values and expansion of earlier ones",
      container: {
        name: "c",
        env: [
          { name: "A", value: "x" },
          { name: "B", value: "$(A)-$(C)-$$(A)" },
          { name: "C", value: "c" },
          { name: "E" },
        ],
      },
      want: [["A", "x"], ["B", "x-$(C)-$(A)"], ["C", "c"], ["E", ""]],
    },
    {
      name: "envFrom with prefix, env overriding it",
      container: {
        name: "c",
        envFrom: [{ prefix: "P_", configMapRef: { name: "cfg" } }, {
          secretRef: { name: "creds" },
        }],
        env: [{ name: "P_A", value: "over" }],
      },
      want: [
        ["P_A", "over"],
        ["P_B", "2"],
        ["P_1bad", "x"],
        ["P_a.b", "y"],
        ["P_has space", "z"],
        ["PASS", "s3cret"],
        ["bad key", "q"],
      ],
    },
    {
      name: "optional missing sources are skipped",
      container: {
        name: "c",
        envFrom: [{ configMapRef: { name: "nope", optional: true } }],
        env: [
          { name: "X", valueFrom: { configMapKeyRef: { name: "nope", key: "k", optional: true } } },
          { name: "Y", valueFrom: { configMapKeyRef: { name: "cfg", key: "zz", optional: true } } },
          { name: "Z", valueFrom: { secretKeyRef: { name: "creds", key: "zz", optional: true } } },
          { name: "W", valueFrom: { secretKeyRef: { name: "creds", key: "PASS" } } },
          { name: "V", valueFrom: { configMapKeyRef: { name: "cfg", key: "B" } } },
        ],
      },
      want: [["W", "s3cret"], ["V", "2"]],
    },
    {
      name: "pod fields and resources",
      container: {
        name: "c",
        resources: { requests: { memory: "64Mi" } },
        env: [
          { name: "N", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: "NS", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
          { name: "UID", valueFrom: { fieldRef: { fieldPath: "metadata.uid" } } },
          { name: "L", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: "AN", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
          { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
          { name: "SA", valueFrom: { fieldRef: { fieldPath: "spec.serviceAccountName" } } },
          { name: "HIP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
          { name: "HIPS", valueFrom: { fieldRef: { fieldPath: "status.hostIPs" } } },
          { name: "PIP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
          { name: "PIPS", valueFrom: { fieldRef: { fieldPath: "status.podIPs" } } },
          { name: "CPU", valueFrom: { resourceFieldRef: { resource: "limits.cpu" } } },
          {
            name: "MEM",
            valueFrom: { resourceFieldRef: { resource: "requests.memory", divisor: "1Mi" } },
          },
        ],
      },
      want: [
        ["N", "web"],
        ["NS", "default"],
        ["UID", "u1"],
        ["L", "web"],
        ["AN", "hi"],
        ["NODE", "edge-1"],
        ["SA", "sa"],
        ["HIP", "192.168.1.2"],
        ["HIPS", "192.168.1.2"],
        ["PIP", "10.42.0.5"],
        ["PIPS", "10.42.0.5,fd00::5"],
        ["CPU", "4"],
        ["MEM", "64"],
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      assert.deepEqual([...await makeEnvironment(ctx(c.container))], c.want);
    });
  }
});

Deno.test("makeEnvironment() rejects with upstream's text", async (t) => {
  const cases: { name: string; container: Container; message: string }[] = [
    {
      name: "missing envFrom configmap",
      container: { name: "c", envFrom: [{ configMapRef: { name: "x" } }] },
      message: 'configmap "x" not found',
    },
    {
      name: "missing envFrom secret",
      container: { name: "c", envFrom: [{ secretRef: { name: "x" } }] },
      message: 'secret "x" not found',
    },
    {
      name: "missing configmap key",
      container: {
        name: "c",
        env: [{ name: "A", valueFrom: { configMapKeyRef: { name: "cfg", key: "k" } } }],
      },
      message: "couldn't find key k in ConfigMap default/cfg",
    },
    {
      name: "missing secret key",
      container: {
        name: "c",
        env: [{ name: "A", valueFrom: { secretKeyRef: { name: "creds", key: "k" } } }],
      },
      message: "couldn't find key k in Secret default/creds",
    },
    {
      name: "missing secret for a key",
      container: {
        name: "c",
        env: [{ name: "A", valueFrom: { secretKeyRef: { name: "no", key: "k" } } }],
      },
      message: 'secret "no" not found',
    },
    {
      name: "resource of an unknown container",
      container: {
        name: "c",
        env: [{
          name: "A",
          valueFrom: { resourceFieldRef: { containerName: "zz", resource: "limits.cpu" } },
        }],
      },
      message: "container zz not found",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await assert.rejects(makeEnvironment(ctx(c.container)), { message: c.message });
    });
  }
});

Deno.test("makeEnvironment() skips non-name envFrom keys with a sorted warning on request", async () => {
  const events: EnvEvent[] = [];
  const container: Container = {
    name: "c",
    envFrom: [{ configMapRef: { name: "cfg" } }, { secretRef: { name: "creds" } }],
  };
  const env = await makeEnvironment(
    ctx(container, { recordEvent: (e) => events.push(e), skipInvalidEnvFromKeys: true }),
  );
  assert.deepEqual([...env.keys()], ["A", "B", "a.b", "PASS"]);
  assert.deepEqual(events, [
    {
      reason: "InvalidEnvironmentVariableNames",
      message:
        "Keys [1bad, has space] from the EnvFrom configMap default/cfg were skipped since they are considered invalid environment variable names.",
    },
    {
      reason: "InvalidEnvironmentVariableNames",
      message:
        "Keys [bad key] from the EnvFrom secret default/creds were skipped since they are considered invalid environment variable names.",
    },
  ]);
});

Deno.test("makeEnvironment() adds service variables the container does not set", async () => {
  const container: Container = {
    name: "c",
    env: [{ name: "S_HOST", value: "mine" }, { name: "U", value: "$(S_PORT)" }],
  };
  const serviceEnv = new Map([["S_HOST", "10.0.0.1"], ["S_PORT", "80"]]);
  const env = await makeEnvironment(ctx(container, { serviceEnv }));
  assert.deepEqual([...env], [["S_HOST", "mine"], ["U", "80"], ["S_PORT", "80"]]);
});

Deno.test("podFieldValue() rejects fields it does not know", () => {
  const p = pod([]);
  assert.throws(() => podFieldValue("spec.hostname", { pod: p, podIps: [], hostIps: [] }), {
    message: "unsupported fieldPath: spec.hostname",
  });
});

Deno.test("sortPodIps() keeps one IP per family, the node's primary family first", async (t) => {
  const cases: [string[], string[], string[]][] = [
    [["10.0.0.1", "fd00::1"], ["192.168.1.2"], ["10.0.0.1", "fd00::1"]],
    [["10.0.0.1", "fd00::1"], ["fd00::2", "192.168.1.2"], ["fd00::1", "10.0.0.1"]],
    [["fd00::1", "10.0.0.1", "10.0.0.2"], [], ["10.0.0.1", "fd00::1"]],
    [["fd00::1"], ["192.168.1.2"], ["fd00::1"]],
    [[], ["192.168.1.2"], []],
  ];
  for (const [pod, host, want] of cases) {
    await t.step(`${pod} on ${host}`, () => assert.deepEqual(sortPodIps(pod, host), want));
  }
});
