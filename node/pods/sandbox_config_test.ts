import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import {
  type DnsEvent,
  generatePodSandboxConfig,
  podLogsDirectory,
  podPortMappings,
  podSandboxLabels,
  runPodSandboxRequest,
  type SandboxConfigOptions,
} from "./sandbox_config.ts";

const OPTIONS: SandboxConfigOptions = {
  nodeHostname: "edge-1",
  clusterDns: ["10.43.0.10"],
  clusterDomain: "cluster.local",
  resolvConf: "nameserver 192.168.1.1\nsearch lan\n",
};

function pod(spec: Partial<NonNullable<Pod["spec"]>> = {}, metadata: Pod["metadata"] = {}): Pod {
  return {
    metadata: { name: "web", namespace: "shop", uid: "1234", ...metadata },
    spec: { containers: [{ name: "app", image: "busybox" }], ...spec },
  };
}

Deno.test("generatePodSandboxConfig() builds the full config of a plain pod", () => {
  const config = generatePodSandboxConfig(
    pod({}, { labels: { app: "web" }, annotations: { note: "x" } }),
    { ...OPTIONS, attempt: 2 },
  );
  assert.deepEqual(config, {
    metadata: { name: "web", namespace: "shop", uid: "1234", attempt: 2 },
    hostname: "web",
    logDirectory: "/var/log/pods/shop_web_1234",
    dnsConfig: {
      servers: ["10.43.0.10"],
      searches: ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "lan"],
      options: ["ndots:5"],
    },
    labels: {
      app: "web",
      "io.kubernetes.pod.name": "web",
      "io.kubernetes.pod.namespace": "shop",
      "io.kubernetes.pod.uid": "1234",
    },
    annotations: { note: "x" },
    linux: {
      cgroupParent: "/kubepods/besteffort/pod1234",
      securityContext: {
        namespaceOptions: { network: "POD", pid: "CONTAINER", ipc: "POD" },
        privileged: false,
        seccomp: { profileType: "RuntimeDefault" },
      },
      sysctls: {},
    },
  });
});

Deno.test("generatePodSandboxConfig() handles host-network pods", () => {
  const config = generatePodSandboxConfig(pod({ hostNetwork: true, hostname: "ignored" }), OPTIONS);
  assert.equal(config.hostname, "edge-1");
  assert.equal(config.linux?.securityContext?.namespaceOptions?.network, "NODE");
  // ClusterFirst falls back to Default on the host network
  assert.deepEqual(config.dnsConfig, { servers: ["192.168.1.1"], searches: ["lan"], options: [] });
});

Deno.test("generatePodSandboxConfig() hostname follows spec.hostname, subdomain and FQDN", async (t) => {
  const cases: { name: string; spec: Partial<NonNullable<Pod["spec"]>>; want: string }[] = [
    { name: "pod name", spec: {}, want: "web" },
    { name: "spec.hostname", spec: { hostname: "db-0" }, want: "db-0" },
    { name: "subdomain alone", spec: { hostname: "db-0", subdomain: "db" }, want: "db-0" },
    {
      name: "setHostnameAsFQDN",
      spec: { hostname: "db-0", subdomain: "db", setHostnameAsFQDN: true },
      want: "db-0.db.shop.svc.cluster.local",
    },
    { name: "FQDN without subdomain", spec: { setHostnameAsFQDN: true }, want: "web" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(generatePodSandboxConfig(pod(c.spec), OPTIONS).hostname, c.want);
    });
  }
  await t.step("a long pod name is cut to 63 characters without a trailing dash", () => {
    const name = "a".repeat(62) + "-b" + "c".repeat(10);
    assert.equal(
      generatePodSandboxConfig(pod({}, { name }), OPTIONS).hostname,
      "a".repeat(62),
    );
  });
});

Deno.test("generatePodSandboxConfig() throws the kubelet's errors", async (t) => {
  const label =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  const cases: {
    name: string;
    spec: Partial<NonNullable<Pod["spec"]>>;
    options?: Partial<SandboxConfigOptions>;
    error: Error;
  }[] = [
    {
      name: "invalid hostname",
      spec: { hostname: "Db_0" },
      error: new TypeError(`pod Hostname "Db_0" is not a valid DNS label: ${label}`),
    },
    {
      name: "invalid subdomain",
      spec: { subdomain: "a".repeat(64) },
      error: new TypeError(
        `pod Subdomain "${
          "a".repeat(64)
        }" is not a valid DNS label: must be no more than 63 characters`,
      ),
    },
    {
      name: "FQDN too long",
      spec: { hostname: "h".repeat(30), subdomain: "s".repeat(20), setHostnameAsFQDN: true },
      error: new RangeError(
        `failed to construct FQDN from pod hostname and cluster domain, FQDN ${"h".repeat(30)}.${
          "s".repeat(20)
        }.shop.svc.cluster.local is too long (64 characters is the max, 74 characters requested)`,
      ),
    },
    {
      name: "empty nameserver line",
      spec: {},
      options: { resolvConf: "nameserver\n" },
      error: new SyntaxError("nameserver list is empty "),
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(
        () => generatePodSandboxConfig(pod(c.spec), { ...OPTIONS, ...c.options }),
        c.error,
      );
    });
  }
});

Deno.test("generatePodSandboxConfig() reports DNS events to recordEvent", () => {
  const events: DnsEvent[] = [];
  generatePodSandboxConfig(pod({ dnsConfig: { nameservers: ["1.1.1.1", "8.8.8.8", "9.9.9.9"] } }), {
    ...OPTIONS,
    recordEvent: (e) => events.push(e),
  });
  assert.deepEqual(events, [{
    on: "pod",
    type: "Warning",
    reason: "DNSConfigForming",
    message:
      "Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.43.0.10 1.1.1.1 8.8.8.8",
  }]);
});

Deno.test("podLogsDirectory() joins the root and <namespace>_<name>_<uid>", async (t) => {
  const cases: { root?: string; want: string }[] = [
    { want: "/var/log/pods/shop_web_1234" },
    { root: "/data/logs/", want: "/data/logs/shop_web_1234" },
    { root: "/", want: "/shop_web_1234" },
  ];
  for (const c of cases) {
    await t.step(c.root ?? "default", () => {
      assert.equal(podLogsDirectory(pod(), c.root), c.want);
    });
  }
});

Deno.test("podSandboxLabels() lets the kubelet's labels win over the pod's", () => {
  assert.deepEqual(podSandboxLabels(pod({}, { labels: { "io.kubernetes.pod.name": "x" } })), {
    "io.kubernetes.pod.name": "web",
    "io.kubernetes.pod.namespace": "shop",
    "io.kubernetes.pod.uid": "1234",
  });
});

Deno.test("podPortMappings() maps the containers' ports", async (t) => {
  const cases: {
    name: string;
    containers: NonNullable<Pod["spec"]>["containers"];
    want: unknown;
  }[] = [
    { name: "no ports", containers: [{ name: "a" }], want: [] },
    {
      name: "host port, protocol and host IP",
      containers: [{
        name: "a",
        ports: [
          { containerPort: 80, hostPort: 8080, protocol: "TCP", hostIP: "10.0.0.5" },
          { containerPort: 53, protocol: "UDP" },
          { containerPort: 9, hostPort: 9, protocol: "SCTP" },
        ],
      }],
      want: [
        { protocol: "TCP", containerPort: 80, hostPort: 8080, hostIp: "10.0.0.5" },
        { protocol: "UDP", containerPort: 53, hostPort: 0, hostIp: "" },
        { protocol: "SCTP", containerPort: 9, hostPort: 9, hostIp: "" },
      ],
    },
    {
      name: "duplicates within a container are dropped, across containers kept",
      containers: [
        {
          name: "a",
          ports: [
            { name: "http", containerPort: 80 },
            { name: "http", containerPort: 81 },
            { containerPort: 90, hostPort: 90, protocol: "TCP" },
            { containerPort: 90, hostPort: 90, protocol: "TCP" },
            { containerPort: 90, hostPort: 90, protocol: "TCP", hostIP: "::1" },
          ],
        },
        { name: "b", ports: [{ name: "http", containerPort: 80 }] },
      ],
      want: [
        { protocol: "TCP", containerPort: 80, hostPort: 0, hostIp: "" },
        { protocol: "TCP", containerPort: 90, hostPort: 90, hostIp: "" },
        { protocol: "TCP", containerPort: 90, hostPort: 90, hostIp: "::1" },
        { protocol: "TCP", containerPort: 80, hostPort: 0, hostIp: "" },
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(podPortMappings(pod({ containers: c.containers })), c.want);
    });
  }
});

Deno.test("runPodSandboxRequest() adds the runtime handler when there is one", async (t) => {
  const cases: { name: string; handler?: string; want: string | undefined }[] = [
    { name: "default runtime", want: undefined },
    { name: "empty handler", handler: "", want: undefined },
    { name: "RuntimeClass handler", handler: "runsc", want: "runsc" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const request = runPodSandboxRequest(pod(), {
        ...OPTIONS,
        ...(c.handler !== undefined ? { runtimeHandler: c.handler } : {}),
      });
      assert.equal(request.runtimeHandler, c.want);
      assert.deepEqual(request.config, generatePodSandboxConfig(pod(), OPTIONS));
    });
  }
});
