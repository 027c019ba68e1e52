import assert from "node:assert/strict";
import type { Container, Pod } from "../../control/api/types/core_v1_pod.ts";
import type { MountedVolume } from "../volumes/volume_manager.ts";
import {
  containerAnnotations,
  type ContainerConfigInput,
  containerHash,
  containerLabels,
  containerLogPath,
  containerMounts,
  CreateContainerConfigError,
  generateContainerConfig,
} from "./container_config.ts";

const none = {
  getConfigMap: () => Promise.resolve(undefined),
  getSecret: () => Promise.resolve(undefined),
};

function podWith(container: Container, spec: Partial<NonNullable<Pod["spec"]>> = {}): Pod {
  return {
    metadata: { name: "web", namespace: "default", uid: "uid-1" },
    spec: { containers: [container], terminationGracePeriodSeconds: 30, ...spec },
  };
}

function input(
  container: Container,
  extra: Partial<ContainerConfigInput> = {},
): ContainerConfigInput {
  return {
    pod: podWith(container),
    container,
    restartCount: 2,
    imageRef: "sha256:abc",
    volumes: [],
    configMaps: none,
    secrets: none,
    nodeAllocatable: { cpu: "2", memory: "4Gi" },
    memoryCapacityBytes: 4n << 30n,
    podIps: ["10.42.0.9"],
    hostIps: ["192.168.1.2"],
    ...extra,
  };
}

const volumes: MountedVolume[] = [
  {
    name: "data",
    plugin: "kubernetes.io/empty-dir",
    hostPath: "/pods/u/volumes/kubernetes.io~empty-dir/data",
    readOnly: false,
    memoryBacked: false,
  },
  {
    name: "cfg",
    plugin: "kubernetes.io/configmap",
    hostPath: "/pods/u/volumes/kubernetes.io~configmap/cfg",
    readOnly: true,
    memoryBacked: false,
  },
];

Deno.test("generateContainerConfig() builds the whole config", async () => {
  const container: Container = {
    name: "app",
    image: "busybox:1.36",
    command: ["sh", "-c", "$(CMD)"],
    args: ["$(MISSING)", "$$(CMD)", "$(CMD)"],
    workingDir: "/srv",
    env: [{ name: "CMD", value: "echo hi" }],
    volumeMounts: [{ name: "data", mountPath: "/data" }],
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    stdin: true,
    tty: true,
    resources: {
      requests: { cpu: "100m", memory: "64Mi" },
      limits: { cpu: "200m", memory: "128Mi" },
    },
  };
  const config = await generateContainerConfig(input(container, {
    volumes,
    etcHostsPath: "/pods/u/etc-hosts",
    terminationMessageHostPath: "/pods/u/containers/app/0a1b2c3d",
    imageUser: { uid: 1000 },
  }));
  assert.deepEqual(config, {
    metadata: { name: "app", attempt: 2 },
    image: { image: "sha256:abc" },
    command: ["sh", "-c", "echo hi"],
    args: ["$(MISSING)", "$(CMD)", "echo hi"],
    workingDir: "/srv",
    envs: [{ key: "CMD", value: "echo hi" }],
    mounts: [
      {
        containerPath: "/data",
        hostPath: "/pods/u/volumes/kubernetes.io~empty-dir/data",
        readonly: false,
        propagation: "PROPAGATION_PRIVATE",
      },
      { containerPath: "/etc/hosts", hostPath: "/pods/u/etc-hosts", readonly: false },
      { containerPath: "/dev/termination-log", hostPath: "/pods/u/containers/app/0a1b2c3d" },
    ],
    labels: {
      "io.kubernetes.pod.name": "web",
      "io.kubernetes.pod.namespace": "default",
      "io.kubernetes.pod.uid": "uid-1",
      "io.kubernetes.container.name": "app",
    },
    annotations: {
      "io.kubernetes.container.hash": containerHash(container),
      "io.kubernetes.container.restartCount": "2",
      "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
      "io.kubernetes.container.terminationMessagePolicy": "File",
      "io.kubernetes.pod.terminationGracePeriod": "30",
    },
    logPath: "app/2.log",
    stdin: true,
    stdinOnce: false,
    tty: true,
    linux: {
      resources: {
        cpuShares: 102,
        memoryLimitInBytes: 134217728,
        cpuQuota: 20000,
        cpuPeriod: 100000,
        oomScoreAdj: 985,
      },
      securityContext: {
        namespaceOptions: { network: "POD", pid: "CONTAINER", ipc: "POD" },
        runAsUser: { value: 1000 },
        noNewPrivs: false,
        maskedPaths: config.linux?.securityContext?.maskedPaths ?? [],
        readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        seccomp: { profileType: "Unconfined" },
      },
    },
  });
  assert.equal(config.linux?.securityContext?.maskedPaths?.length, 11);
});

Deno.test("generateContainerConfig() rejects with a CreateContainerConfigError", async (t) => {
  const cases: {
    name: string;
    container: Container;
    extra?: Partial<ContainerConfigInput>;
    message: string;
  }[] = [
    {
      name: "missing configmap",
      container: { name: "app", envFrom: [{ configMapRef: { name: "x" } }] },
      message: 'configmap "x" not found',
    },
    {
      name: "runAsNonRoot with a root image",
      container: { name: "app", securityContext: { runAsNonRoot: true } },
      extra: { imageUser: { uid: 0 } },
      message:
        'container has runAsNonRoot and image will run as root (pod: "web_default(uid-1)", container: app)',
    },
    {
      name: "missing volume",
      container: { name: "app", volumeMounts: [{ name: "gone", mountPath: "/x" }] },
      message: 'cannot find volume "gone" to mount into container "app"',
    },
    {
      name: "Localhost seccomp without profile",
      container: { name: "app", securityContext: { seccompProfile: { type: "Localhost" } } },
      message: "localhostProfile must be set if seccompProfile type is Localhost.",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const err = await generateContainerConfig(input(c.container, c.extra)).then(
        () => assert.fail("no error"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof CreateContainerConfigError);
      assert.equal(err.reason, "CreateContainerConfigError");
      assert.equal(err.message, c.message);
    });
  }
});

Deno.test("containerMounts() resolves subPath, read-only and propagation", async (t) => {
  const env = new Map([["POD", "web"], ["EMPTY", ""]]);
  const opts = { pod: podWith({ name: "app" }), volumes, env, podIps: [] as string[] };
  const cases: { name: string; container: Container; want?: unknown; error?: string }[] = [
    {
      name: "subPath and readOnly",
      container: {
        name: "app",
        volumeMounts: [
          { name: "data", mountPath: "/logs", subPath: "a/b", readOnly: true },
          { name: "cfg", mountPath: "/etc/app", mountPropagation: "HostToContainer" },
          { name: "data", mountPath: "/shared", mountPropagation: "Bidirectional" },
        ],
      },
      want: [
        {
          containerPath: "/logs",
          hostPath: "/pods/u/volumes/kubernetes.io~empty-dir/data/a/b",
          readonly: true,
          propagation: "PROPAGATION_PRIVATE",
        },
        {
          containerPath: "/etc/app",
          hostPath: "/pods/u/volumes/kubernetes.io~configmap/cfg",
          readonly: true,
          propagation: "PROPAGATION_HOST_TO_CONTAINER",
        },
        {
          containerPath: "/shared",
          hostPath: "/pods/u/volumes/kubernetes.io~empty-dir/data",
          readonly: false,
          propagation: "PROPAGATION_BIDIRECTIONAL",
        },
      ],
    },
    {
      name: "subPathExpr",
      container: {
        name: "app",
        volumeMounts: [{ name: "data", mountPath: "/d", subPathExpr: "logs/$(POD)" }],
      },
      want: [{
        containerPath: "/d",
        hostPath: "/pods/u/volumes/kubernetes.io~empty-dir/data/logs/web",
        readonly: false,
        propagation: "PROPAGATION_PRIVATE",
      }],
    },
    {
      name: "subPathExpr missing values",
      container: {
        name: "app",
        volumeMounts: [{ name: "data", mountPath: "/d", subPathExpr: "$(Z)/$(EMPTY)/$(A)" }],
      },
      error: "missing value for A, EMPTY, Z",
    },
    {
      name: "absolute subPath",
      container: {
        name: "app",
        volumeMounts: [{ name: "data", mountPath: "/d", subPath: "/etc" }],
      },
      error: "error SubPath `/etc` must not be an absolute path",
    },
    {
      name: "backstep subPath",
      container: {
        name: "app",
        volumeMounts: [{ name: "data", mountPath: "/d", subPath: "a/../../x" }],
      },
      error: "unable to provision SubPath `a/../../x`: must not contain '..'",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      if (c.error) assert.throws(() => containerMounts(c.container, opts), { message: c.error });
      else assert.deepEqual(containerMounts(c.container, opts), c.want);
    });
  }
  await t.step("no /etc/hosts without pod IPs or when the container mounts its own", () => {
    const hosts = { ...opts, etcHostsPath: "/pods/u/etc-hosts" };
    assert.deepEqual(containerMounts({ name: "app" }, hosts), []);
    const own: Container = {
      name: "app",
      volumeMounts: [{ name: "data", mountPath: "/etc/hosts", subPath: "h" }],
    };
    const mounts = containerMounts(own, { ...hosts, podIps: ["10.0.0.1"] });
    assert.deepEqual(mounts.map((m) => m.containerPath), ["/etc/hosts"]);
    assert.equal(mounts[0]?.hostPath, "/pods/u/volumes/kubernetes.io~empty-dir/data/h");
  });
});

Deno.test("containerLabels() and containerAnnotations() record the pod and container", () => {
  const container: Container = {
    name: "app",
    image: "nginx",
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "FallbackToLogsOnError",
    ports: [{ containerPort: 80, name: "http", protocol: "TCP" }, {
      containerPort: 53,
      protocol: "UDP",
      hostPort: 53,
    }],
    lifecycle: { preStop: { exec: { command: ["sleep", "5"] } } },
  };
  const pod: Pod = {
    ...podWith(container),
    metadata: { name: "web", namespace: "ns", uid: "u", deletionGracePeriodSeconds: 10 },
  };
  assert.deepEqual(containerLabels(pod, container), {
    "io.kubernetes.pod.name": "web",
    "io.kubernetes.pod.namespace": "ns",
    "io.kubernetes.pod.uid": "u",
    "io.kubernetes.container.name": "app",
  });
  assert.deepEqual(containerAnnotations(pod, { container, restartCount: 0 }), {
    "io.kubernetes.container.hash": containerHash(container),
    "io.kubernetes.container.restartCount": "0",
    "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
    "io.kubernetes.container.terminationMessagePolicy": "FallbackToLogsOnError",
    "io.kubernetes.pod.deletionGracePeriod": "10",
    "io.kubernetes.pod.terminationGracePeriod": "30",
    "io.kubernetes.container.preStopHandler": '{"exec":{"command":["sleep","5"]}}',
    "io.kubernetes.container.ports":
      '[{"name":"http","containerPort":80,"protocol":"TCP"},{"hostPort":53,"containerPort":53,"protocol":"UDP"}]',
  });
});

Deno.test("containerLogPath() is <container>/<restartCount>.log", async (t) => {
  const cases: [string, number, string][] = [["app", 0, "app/0.log"], [
    "side-car",
    12,
    "side-car/12.log",
  ]];
  for (const [name, n, want] of cases) {
    await t.step(want, () => assert.equal(containerLogPath(name, n), want));
  }
});

Deno.test("containerAnnotations() writes the preStop handler in Go's field order", () => {
  const container: Container = {
    name: "app",
    lifecycle: { preStop: { httpGet: { scheme: "HTTP", port: 8080, path: "/stop", host: "h" } } },
  };
  const got = containerAnnotations(podWith(container), { container, restartCount: 1 });
  assert.equal(
    got["io.kubernetes.container.preStopHandler"],
    '{"httpGet":{"path":"/stop","port":8080,"host":"h","scheme":"HTTP"}}',
  );
});
