import assert from "node:assert/strict";
import { criMethod, criMethodNames, type CriServiceName } from "./_package.ts";
import { CRI_PACKAGE } from "./descriptor.ts";

// An independent protobuf writer: the expected bytes come from the published CRI field numbers,
// not from the descriptor under test.
type Bytes = number[];

function varint(value: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: Bytes = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function key(field: number, wireType: number): Bytes {
  return varint((field << 3) | wireType);
}

function int(field: number, value: number | bigint): Bytes {
  return [...key(field, 0), ...varint(value)];
}

function bool(field: number): Bytes {
  return int(field, 1);
}

function bytes(field: number, data: Bytes): Bytes {
  return [...key(field, 2), ...varint(data.length), ...data];
}

function str(field: number, text: string): Bytes {
  return bytes(field, [...new TextEncoder().encode(text)]);
}

function msg(field: number, ...parts: Bytes[]): Bytes {
  return bytes(field, parts.flat());
}

function entry(field: number, k: string, v: string): Bytes {
  return msg(field, str(1, k), str(2, v));
}

function packed(field: number, ...values: number[]): Bytes {
  return bytes(field, values.flatMap((v) => varint(v)));
}

function hex(data: Uint8Array | Bytes): string {
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

function encode(service: CriServiceName, method: string, request: object): string {
  return hex(criMethod(service, method).requestSerialize(request));
}

function decode(service: CriServiceName, method: string, ...parts: Bytes[]): unknown {
  return criMethod(service, method).responseDeserialize(new Uint8Array(parts.flat()) as never);
}

Deno.test("CRI descriptor declares the RuntimeService and ImageService RPCs skiff uses", () => {
  assert.deepEqual(criMethodNames("RuntimeService").sort(), [
    "Attach",
    "ContainerStats",
    "ContainerStatus",
    "CreateContainer",
    "Exec",
    "ExecSync",
    "ListContainerStats",
    "ListContainers",
    "ListPodSandbox",
    "PodSandboxStatus",
    "PortForward",
    "RemoveContainer",
    "RemovePodSandbox",
    "ReopenContainerLog",
    "RunPodSandbox",
    "StartContainer",
    "Status",
    "StopContainer",
    "StopPodSandbox",
    "UpdateContainerResources",
    "Version",
  ]);
  assert.deepEqual(criMethodNames("ImageService").sort(), [
    "ImageFsInfo",
    "ImageStatus",
    "ListImages",
    "PullImage",
    "RemoveImage",
  ]);
  assert.equal(CRI_PACKAGE, "runtime.v1");
  assert.equal(
    criMethod("RuntimeService", "RunPodSandbox").path,
    "/runtime.v1.RuntimeService/RunPodSandbox",
  );
  assert.equal(criMethod("ImageService", "PullImage").path, "/runtime.v1.ImageService/PullImage");
  assert.throws(() => criMethod("ImageService", "Version"), {
    name: "TypeError",
    message: 'Unknown CRI method "ImageService/Version"',
  });
});

const sandboxConfig = {
  metadata: { name: "web", uid: "u-1", namespace: "default", attempt: 2 },
  hostname: "web",
  logDirectory: "/var/log/pods/default_web_u-1",
  dnsConfig: { servers: ["10.43.0.10"], searches: ["svc.cluster.local"], options: ["ndots:5"] },
  portMappings: [{ protocol: "UDP", containerPort: 53, hostPort: 5353, hostIp: "0.0.0.0" }],
  labels: { app: "web" },
  annotations: { note: "x" },
  linux: {
    cgroupParent: "/kubepods/besteffort/podu-1",
    securityContext: {
      namespaceOptions: { network: "NODE", pid: "CONTAINER", ipc: "POD", targetId: "t" },
      runAsUser: { value: 1000 },
      readonlyRootfs: true,
      supplementalGroups: [5, 6],
      privileged: true,
      runAsGroup: { value: 3000 },
      seccomp: { profileType: "Localhost", localhostRef: "/p.json" },
      apparmor: { profileType: "Unconfined" },
    },
    sysctls: { "net.ipv4.ip_forward": "1" },
  },
} as const;

const sandboxConfigBytes: Bytes[] = [
  msg(1, str(1, "web"), str(2, "u-1"), str(3, "default"), int(4, 2)),
  str(2, "web"),
  str(3, "/var/log/pods/default_web_u-1"),
  msg(4, str(1, "10.43.0.10"), str(2, "svc.cluster.local"), str(3, "ndots:5")),
  msg(5, int(1, 1), int(2, 53), int(3, 5353), str(4, "0.0.0.0")),
  entry(6, "app", "web"),
  entry(7, "note", "x"),
  msg(
    8,
    str(1, "/kubepods/besteffort/podu-1"),
    msg(
      2,
      msg(1, int(1, 2), int(2, 1), int(3, 0), str(4, "t")),
      msg(3, int(1, 1000)),
      bool(4),
      packed(5, 5, 6),
      bool(6),
      msg(8, int(1, 3000)),
      msg(9, int(1, 2), str(2, "/p.json")),
      msg(10, int(1, 1)),
    ),
    entry(3, "net.ipv4.ip_forward", "1"),
  ),
];

Deno.test("CRI requests encode with the published field numbers", async (t) => {
  const cases: {
    name: string;
    service?: CriServiceName;
    method: string;
    request: object;
    want: Bytes[];
  }[] = [
    {
      name: "VersionRequest",
      method: "Version",
      request: { version: "0.1.0" },
      want: [str(1, "0.1.0")],
    },
    { name: "StatusRequest", method: "Status", request: { verbose: true }, want: [bool(1)] },
    {
      name: "RunPodSandboxRequest with a full PodSandboxConfig",
      method: "RunPodSandbox",
      request: { config: sandboxConfig, runtimeHandler: "runc" },
      want: [msg(1, ...sandboxConfigBytes), str(2, "runc")],
    },
    {
      name: "StopPodSandboxRequest",
      method: "StopPodSandbox",
      request: { podSandboxId: "s1" },
      want: [str(1, "s1")],
    },
    {
      name: "PodSandboxStatusRequest",
      method: "PodSandboxStatus",
      request: { podSandboxId: "s1", verbose: true },
      want: [str(1, "s1"), bool(2)],
    },
    {
      name: "ListPodSandboxRequest filtering on the READY state (0) sends the wrapper",
      method: "ListPodSandbox",
      request: {
        filter: { id: "s", state: { state: "SANDBOX_READY" }, labelSelector: { a: "b" } },
      },
      want: [msg(1, str(1, "s"), msg(2, int(1, 0)), entry(3, "a", "b"))],
    },
    {
      name: "CreateContainerRequest with a full ContainerConfig",
      method: "CreateContainer",
      request: {
        podSandboxId: "s1",
        config: {
          metadata: { name: "app", attempt: 3 },
          image: { image: "localhost/busybox:1", annotations: { k: "v" } },
          command: ["sh", "-c"],
          args: ["echo hi"],
          workingDir: "/w",
          envs: [{ key: "A", value: "1" }],
          mounts: [{
            containerPath: "/data",
            hostPath: "/h",
            readonly: true,
            selinuxRelabel: true,
            propagation: "PROPAGATION_BIDIRECTIONAL",
          }],
          devices: [{ containerPath: "/dev/x", hostPath: "/dev/y", permissions: "rw" }],
          labels: { l: "1" },
          annotations: { n: "2" },
          logPath: "app/3.log",
          stdin: true,
          stdinOnce: true,
          tty: true,
          linux: {
            resources: {
              cpuPeriod: 100000,
              cpuQuota: 50000,
              cpuShares: 512,
              memoryLimitInBytes: "8589934592",
              oomScoreAdj: -997,
              cpusetCpus: "0-1",
              cpusetMems: "0",
              hugepageLimits: [{ pageSize: "2MB", limit: 4194304 }],
              unified: { "memory.high": "1" },
              memorySwapLimitInBytes: 1024,
            },
            securityContext: {
              capabilities: {
                addCapabilities: ["NET_ADMIN"],
                dropCapabilities: ["ALL"],
                addAmbientCapabilities: ["NET_RAW"],
              },
              privileged: true,
              namespaceOptions: { pid: "TARGET", targetId: "c0" },
              runAsUser: { value: 0 },
              runAsUsername: "root",
              readonlyRootfs: true,
              supplementalGroups: [1],
              noNewPrivs: true,
              runAsGroup: { value: 2 },
              maskedPaths: ["/proc/kcore"],
              readonlyPaths: ["/proc/sys"],
              seccomp: { profileType: "RuntimeDefault" },
              apparmor: { profileType: "Localhost", localhostRef: "skiff" },
            },
          },
        },
        sandboxConfig: { metadata: sandboxConfig.metadata },
      },
      want: [
        str(1, "s1"),
        msg(
          2,
          msg(1, str(1, "app"), int(2, 3)),
          msg(2, str(1, "localhost/busybox:1"), entry(2, "k", "v")),
          str(3, "sh"),
          str(3, "-c"),
          str(4, "echo hi"),
          str(5, "/w"),
          msg(6, str(1, "A"), str(2, "1")),
          msg(7, str(1, "/data"), str(2, "/h"), bool(3), bool(4), int(5, 2)),
          msg(8, str(1, "/dev/x"), str(2, "/dev/y"), str(3, "rw")),
          entry(9, "l", "1"),
          entry(10, "n", "2"),
          str(11, "app/3.log"),
          bool(12),
          bool(13),
          bool(14),
          msg(
            15,
            msg(
              1,
              int(1, 100000),
              int(2, 50000),
              int(3, 512),
              int(4, 8589934592n),
              int(5, -997),
              str(6, "0-1"),
              str(7, "0"),
              msg(8, str(1, "2MB"), int(2, 4194304)),
              entry(9, "memory.high", "1"),
              int(10, 1024),
            ),
            msg(
              2,
              msg(1, str(1, "NET_ADMIN"), str(2, "ALL"), str(3, "NET_RAW")),
              bool(2),
              msg(3, int(2, 3), str(4, "c0")),
              msg(5, int(1, 0)),
              str(6, "root"),
              bool(7),
              packed(8, 1),
              bool(11),
              msg(12, int(1, 2)),
              str(13, "/proc/kcore"),
              str(14, "/proc/sys"),
              msg(15, int(1, 0)),
              msg(16, int(1, 2), str(2, "skiff")),
            ),
          ),
        ),
        msg(3, msg(1, str(1, "web"), str(2, "u-1"), str(3, "default"), int(4, 2))),
      ],
    },
    {
      name: "StopContainerRequest",
      method: "StopContainer",
      request: { containerId: "c1", timeout: 30 },
      want: [str(1, "c1"), int(2, 30)],
    },
    {
      name: "ListContainersRequest",
      method: "ListContainers",
      request: {
        filter: {
          id: "c",
          state: { state: "CONTAINER_EXITED" },
          podSandboxId: "s",
          labelSelector: { a: "b" },
        },
      },
      want: [msg(1, str(1, "c"), msg(2, int(1, 2)), str(3, "s"), entry(4, "a", "b"))],
    },
    {
      name: "UpdateContainerResourcesRequest",
      method: "UpdateContainerResources",
      request: { containerId: "c1", linux: { cpuShares: 2 }, annotations: { a: "b" } },
      want: [str(1, "c1"), msg(2, int(3, 2)), entry(4, "a", "b")],
    },
    {
      name: "ExecSyncRequest",
      method: "ExecSync",
      request: { containerId: "c1", cmd: ["echo", "hi"], timeout: 5 },
      want: [str(1, "c1"), str(2, "echo"), str(2, "hi"), int(3, 5)],
    },
    {
      name: "ExecRequest: tty=3 stdin=4 stdout=5 stderr=6",
      method: "Exec",
      request: {
        containerId: "c1",
        cmd: ["sh"],
        tty: true,
        stdin: true,
        stdout: true,
        stderr: true,
      },
      want: [str(1, "c1"), str(2, "sh"), bool(3), bool(4), bool(5), bool(6)],
    },
    {
      name: "AttachRequest: stdin=2 tty=3 stdout=4 stderr=5",
      method: "Attach",
      request: { containerId: "c1", stdin: true, tty: true, stdout: true, stderr: true },
      want: [str(1, "c1"), bool(2), bool(3), bool(4), bool(5)],
    },
    {
      name: "PortForwardRequest packs its ports",
      method: "PortForward",
      request: { podSandboxId: "s1", port: [80, 443] },
      want: [str(1, "s1"), packed(2, 80, 443)],
    },
    {
      name: "ListContainerStatsRequest",
      method: "ListContainerStats",
      request: { filter: { id: "c", podSandboxId: "s", labelSelector: { a: "b" } } },
      want: [msg(1, str(1, "c"), str(2, "s"), entry(3, "a", "b"))],
    },
    {
      name: "ImageStatusRequest",
      service: "ImageService",
      method: "ImageStatus",
      request: { image: { image: "localhost/pause:1" }, verbose: true },
      want: [msg(1, str(1, "localhost/pause:1")), bool(2)],
    },
    {
      name: "PullImageRequest with credentials",
      service: "ImageService",
      method: "PullImage",
      request: {
        image: { image: "r/i:1" },
        auth: {
          username: "u",
          password: "p",
          auth: "a",
          serverAddress: "r",
          identityToken: "i",
          registryToken: "t",
        },
        sandboxConfig: { metadata: { name: "n", uid: "", namespace: "", attempt: 0 } },
      },
      want: [
        msg(1, str(1, "r/i:1")),
        msg(2, str(1, "u"), str(2, "p"), str(3, "a"), str(4, "r"), str(5, "i"), str(6, "t")),
        msg(3, msg(1, str(1, "n"), str(2, ""), str(3, ""), int(4, 0))),
      ],
    },
    {
      name: "ListImagesRequest",
      service: "ImageService",
      method: "ListImages",
      request: { filter: { image: { image: "x" } } },
      want: [msg(1, msg(1, str(1, "x")))],
    },
    {
      name: "ImageFsInfoRequest is empty",
      service: "ImageService",
      method: "ImageFsInfo",
      request: {},
      want: [],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(encode(c.service ?? "RuntimeService", c.method, c.request), hex(c.want.flat()));
    });
  }
});

Deno.test("CRI responses decode by field number, with defaults, names and int64 strings", async (t) => {
  await t.step("VersionResponse", () => {
    assert.deepEqual(
      decode(
        "RuntimeService",
        "Version",
        str(1, "0.1.0"),
        str(2, "containerd"),
        str(3, "1.6.20"),
        str(4, "v1"),
      ),
      {
        version: "0.1.0",
        runtimeName: "containerd",
        runtimeVersion: "1.6.20",
        runtimeApiVersion: "v1",
      },
    );
  });

  await t.step("StatusResponse", () => {
    assert.deepEqual(
      decode(
        "RuntimeService",
        "Status",
        msg(
          1,
          msg(1, str(1, "RuntimeReady"), bool(2)),
          msg(1, str(1, "NetworkReady"), str(3, "NetworkPluginNotReady"), str(4, "cni")),
        ),
        entry(2, "config", "{}"),
        // runtime_handlers=3, features=4: newer than skiff's schema, skipped.
        msg(3, str(1, "runc")),
        msg(4, bool(1)),
      ),
      {
        status: {
          conditions: [
            { type: "RuntimeReady", status: true, reason: "", message: "" },
            {
              type: "NetworkReady",
              status: false,
              reason: "NetworkPluginNotReady",
              message: "cni",
            },
          ],
        },
        info: { config: "{}" },
      },
    );
  });

  await t.step("RunPodSandboxResponse, CreateContainerResponse, PullImageResponse", () => {
    assert.deepEqual(decode("RuntimeService", "RunPodSandbox", str(1, "s1")), {
      podSandboxId: "s1",
    });
    assert.deepEqual(decode("RuntimeService", "CreateContainer", str(1, "c1")), {
      containerId: "c1",
    });
    assert.deepEqual(decode("ImageService", "PullImage", str(1, "sha256:ab")), {
      imageRef: "sha256:ab",
    });
  });

  await t.step("PodSandboxStatusResponse", () => {
    assert.deepEqual(
      decode(
        "RuntimeService",
        "PodSandboxStatus",
        msg(
          1,
          str(1, "s1"),
          msg(2, str(1, "web"), str(2, "u"), str(3, "ns"), int(4, 1)),
          int(3, 1),
          int(4, 1763789533944100601n),
          msg(5, str(1, "10.42.0.5"), msg(2, str(1, "fd00::5"))),
          msg(6, msg(1, msg(2, int(1, 2), int(2, 1), int(3, 0)))),
          entry(7, "l", "1"),
          entry(8, "a", "2"),
          str(9, "runc"),
        ),
        entry(2, "info", "{}"),
        int(4, 99), // timestamp=4, newer than skiff's schema
      ),
      {
        status: {
          id: "s1",
          metadata: { name: "web", uid: "u", namespace: "ns", attempt: 1 },
          state: "SANDBOX_NOTREADY",
          createdAt: "1763789533944100601",
          network: { ip: "10.42.0.5", additionalIps: [{ ip: "fd00::5" }] },
          linux: {
            namespaces: {
              options: { network: "NODE", pid: "CONTAINER", ipc: "POD", targetId: "" },
            },
          },
          labels: { l: "1" },
          annotations: { a: "2" },
          runtimeHandler: "runc",
        },
        info: { info: "{}" },
      },
    );
  });

  await t.step("ListPodSandboxResponse", () => {
    assert.deepEqual(
      decode(
        "RuntimeService",
        "ListPodSandbox",
        msg(
          1,
          str(1, "s1"),
          msg(2, str(1, "p")),
          int(3, 0),
          int(4, 7),
          entry(5, "l", "1"),
          entry(6, "a", "2"),
          str(7, "h"),
        ),
      ),
      {
        items: [{
          id: "s1",
          metadata: { name: "p", uid: "", namespace: "", attempt: 0 },
          state: "SANDBOX_READY",
          createdAt: "7",
          labels: { l: "1" },
          annotations: { a: "2" },
          runtimeHandler: "h",
        }],
      },
    );
    assert.deepEqual(decode("RuntimeService", "ListPodSandbox"), { items: [] });
  });

  await t.step("ContainerStatusResponse", () => {
    assert.deepEqual(
      decode(
        "RuntimeService",
        "ContainerStatus",
        msg(
          1,
          str(1, "c1"),
          msg(2, str(1, "app"), int(2, 4)),
          int(3, 2),
          int(4, 10),
          int(5, 11),
          int(6, 12),
          int(7, 137),
          msg(8, str(1, "localhost/busybox:1")),
          str(9, "sha256:cd"),
          str(10, "Error"),
          str(11, "killed"),
          entry(12, "l", "1"),
          entry(13, "a", "2"),
          msg(14, str(1, "/data"), str(2, "/h"), bool(3), int(5, 1)),
          str(15, "/var/log/pods/x/app/4.log"),
          str(17, "sha256:ef"), // image_id=17, newer than containerd 1.6
        ),
      ),
      {
        status: {
          id: "c1",
          metadata: { name: "app", attempt: 4 },
          state: "CONTAINER_EXITED",
          createdAt: "10",
          startedAt: "11",
          finishedAt: "12",
          exitCode: 137,
          image: { image: "localhost/busybox:1", annotations: {} },
          imageRef: "sha256:cd",
          reason: "Error",
          message: "killed",
          labels: { l: "1" },
          annotations: { a: "2" },
          mounts: [{
            containerPath: "/data",
            hostPath: "/h",
            readonly: true,
            selinuxRelabel: false,
            propagation: "PROPAGATION_HOST_TO_CONTAINER",
          }],
          logPath: "/var/log/pods/x/app/4.log",
        },
        info: {},
      },
    );
  });

  await t.step("ListContainersResponse", () => {
    assert.deepEqual(
      decode(
        "RuntimeService",
        "ListContainers",
        msg(
          1,
          str(1, "c1"),
          str(2, "s1"),
          msg(3, str(1, "app")),
          msg(4, str(1, "img")),
          str(5, "sha256:1"),
          int(6, 1),
          int(7, 5),
          entry(8, "l", "1"),
          entry(9, "a", "2"),
        ),
      ),
      {
        containers: [{
          id: "c1",
          podSandboxId: "s1",
          metadata: { name: "app", attempt: 0 },
          image: { image: "img", annotations: {} },
          imageRef: "sha256:1",
          state: "CONTAINER_RUNNING",
          createdAt: "5",
          labels: { l: "1" },
          annotations: { a: "2" },
        }],
      },
    );
  });

  await t.step("ExecSyncResponse", () => {
    const got = decode(
      "RuntimeService",
      "ExecSync",
      bytes(1, [104, 105, 10]),
      bytes(2, [0xff]),
      int(3, 3),
    ) as {
      stdout: Uint8Array;
      stderr: Uint8Array;
      exitCode: number;
    };
    assert.deepEqual([...got.stdout], [104, 105, 10]);
    assert.deepEqual([...got.stderr], [0xff]);
    assert.equal(got.exitCode, 3);
    const none = decode("RuntimeService", "ExecSync") as { stdout: Uint8Array; exitCode: number };
    assert.equal(none.stdout.length, 0);
    assert.equal(none.exitCode, 0);
  });

  await t.step("Exec, Attach and PortForward URLs", () => {
    for (const method of ["Exec", "Attach", "PortForward"]) {
      assert.deepEqual(decode("RuntimeService", method, str(1, "http://127.0.0.1:1/x/t")), {
        url: "http://127.0.0.1:1/x/t",
      });
    }
  });

  await t.step("ContainerStatsResponse", () => {
    assert.deepEqual(
      decode(
        "RuntimeService",
        "ContainerStats",
        msg(
          1,
          msg(1, str(1, "c1"), msg(2, str(1, "app")), entry(3, "l", "1"), entry(4, "a", "2")),
          msg(2, int(1, 1), msg(2, int(1, 2)), msg(3, int(1, 3))),
          msg(
            3,
            int(1, 1),
            msg(2, int(1, 4)),
            msg(3, int(1, 5)),
            msg(4, int(1, 6)),
            msg(5, int(1, 7)),
            msg(6, int(1, 8)),
            msg(7, int(1, 9)),
          ),
          msg(4, int(1, 1), msg(2, str(1, "/var/lib")), msg(3, int(1, 10)), msg(4, int(1, 11))),
        ),
      ),
      {
        stats: {
          attributes: {
            id: "c1",
            metadata: { name: "app", attempt: 0 },
            labels: { l: "1" },
            annotations: { a: "2" },
          },
          cpu: {
            timestamp: "1",
            usageCoreNanoSeconds: { value: "2" },
            usageNanoCores: { value: "3" },
          },
          memory: {
            timestamp: "1",
            workingSetBytes: { value: "4" },
            availableBytes: { value: "5" },
            usageBytes: { value: "6" },
            rssBytes: { value: "7" },
            pageFaults: { value: "8" },
            majorPageFaults: { value: "9" },
          },
          writableLayer: {
            timestamp: "1",
            fsId: { mountpoint: "/var/lib" },
            usedBytes: { value: "10" },
            inodesUsed: { value: "11" },
          },
        },
      },
    );
  });

  await t.step("ListImagesResponse", () => {
    assert.deepEqual(
      decode(
        "ImageService",
        "ListImages",
        msg(
          1,
          str(1, "sha256:aa"),
          str(2, "localhost/pause:1"),
          str(3, "localhost/pause@sha256:bb"),
          int(4, 2n ** 40n),
          msg(5, int(1, 65534)),
          str(6, "nobody"),
          msg(7, str(1, "sha256:aa")),
          bool(8),
          str(9, "mirror"), // image_source=9, newer than skiff's schema
        ),
      ),
      {
        images: [{
          id: "sha256:aa",
          repoTags: ["localhost/pause:1"],
          repoDigests: ["localhost/pause@sha256:bb"],
          size: "1099511627776",
          uid: { value: "65534" },
          username: "nobody",
          spec: { image: "sha256:aa", annotations: {} },
          pinned: true,
        }],
      },
    );
  });

  await t.step("ImageStatusResponse without the image", () => {
    assert.deepEqual(decode("ImageService", "ImageStatus"), { image: null, info: {} });
  });

  await t.step("ImageFsInfoResponse", () => {
    assert.deepEqual(
      decode(
        "ImageService",
        "ImageFsInfo",
        msg(
          1,
          int(1, 5),
          msg(2, str(1, "/var/lib/containerd/snapshots")),
          msg(3, int(1, 4096)),
          msg(4, int(1, 3)),
        ),
        msg(2, int(1, 6)), // container_filesystems=2, newer than skiff's schema
      ),
      {
        imageFilesystems: [{
          timestamp: "5",
          fsId: { mountpoint: "/var/lib/containerd/snapshots" },
          usedBytes: { value: "4096" },
          inodesUsed: { value: "3" },
        }],
      },
    );
  });
});
