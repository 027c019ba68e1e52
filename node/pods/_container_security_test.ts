import assert from "node:assert/strict";
import type { Container, Pod, PodSpec } from "../../control/api/types/core_v1_pod.ts";
import {
  effectiveSecurityContext,
  formatPod,
  type ImageUser,
  linuxSecurityContext,
  namespacesForPod,
  seccompProfile,
  verifyRunAsNonRoot,
} from "./_container_security.ts";

function pod(spec: Partial<PodSpec> = {}, container: Container = { name: "app" }): Pod {
  return {
    metadata: { name: "web", namespace: "default", uid: "uid" },
    spec: { containers: [container], ...spec },
  };
}

const options = { seccompProfileRoot: "/var/lib/skiff/seccomp/", seccompDefault: false };

Deno.test("formatPod() names a pod as name_namespace(uid)", () => {
  assert.equal(formatPod(pod()), "web_default(uid)");
});

Deno.test("effectiveSecurityContext() lets the container override the pod", () => {
  const c: Container = { name: "app", securityContext: { runAsUser: 5, privileged: true } };
  const p = pod({ securityContext: { runAsUser: 1, runAsGroup: 2, runAsNonRoot: true } }, c);
  assert.deepEqual(effectiveSecurityContext(p, c), {
    runAsUser: 5,
    privileged: true,
    runAsGroup: 2,
    runAsNonRoot: true,
  });
});

Deno.test("verifyRunAsNonRoot() enforces runAsNonRoot", async (t) => {
  const cases: {
    name: string;
    pod: Partial<PodSpec>;
    c?: Container;
    image: ImageUser;
    error?: string;
  }[] = [
    { name: "not requested", pod: {}, image: { uid: 0 } },
    {
      name: "non-root image",
      pod: { securityContext: { runAsNonRoot: true } },
      image: { uid: 1000 },
    },
    {
      name: "root image",
      pod: { securityContext: { runAsNonRoot: true } },
      image: { uid: 0 },
      error:
        'container has runAsNonRoot and image will run as root (pod: "web_default(uid)", container: app)',
    },
    {
      name: "runAsUser 0",
      pod: {},
      c: { name: "app", securityContext: { runAsNonRoot: true, runAsUser: 0 } },
      image: { uid: 1000 },
      error:
        `container's runAsUser breaks non-root policy (pod: "web_default(uid)", container: app)`,
    },
    {
      name: "runAsUser non-root beats a root image",
      pod: { securityContext: { runAsNonRoot: true, runAsUser: 7 } },
      image: { uid: 0 },
    },
    {
      name: "user name",
      pod: { securityContext: { runAsNonRoot: true } },
      image: { username: "nobody" },
      error:
        'container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root (pod: "web_default(uid)", container: app)',
    },
    { name: "image user unknown", pod: { securityContext: { runAsNonRoot: true } }, image: {} },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const container = c.c ?? { name: "app" };
      const run = () =>
        verifyRunAsNonRoot(pod(c.pod, container), { container, imageUser: c.image });
      if (c.error) assert.throws(run, { message: c.error });
      else assert.doesNotThrow(run);
    });
  }
});

Deno.test("seccompProfile() picks the container's, the pod's or the default", async (t) => {
  const cases: {
    name: string;
    pod?: Partial<PodSpec>;
    c?: Container;
    dflt?: boolean;
    want: unknown;
  }[] = [
    { name: "none", want: { profileType: "Unconfined" } },
    { name: "kubelet default", dflt: true, want: { profileType: "RuntimeDefault" } },
    {
      name: "pod RuntimeDefault",
      pod: { securityContext: { seccompProfile: { type: "RuntimeDefault" } } },
      want: { profileType: "RuntimeDefault" },
    },
    {
      name: "container Unconfined over pod",
      pod: { securityContext: { seccompProfile: { type: "RuntimeDefault" } } },
      c: { name: "app", securityContext: { seccompProfile: { type: "Unconfined" } } },
      want: { profileType: "Unconfined" },
    },
    {
      name: "Localhost",
      c: {
        name: "app",
        securityContext: { seccompProfile: { type: "Localhost", localhostProfile: "p.json" } },
      },
      want: { profileType: "Localhost", localhostRef: "/var/lib/skiff/seccomp/p.json" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const container = c.c ?? { name: "app" };
      assert.deepEqual(
        seccompProfile(pod(c.pod, container), {
          ...options,
          seccompDefault: c.dflt ?? false,
          container,
        }),
        c.want,
      );
    });
  }
  await t.step("Localhost without a profile", () => {
    const container: Container = {
      name: "app",
      securityContext: { seccompProfile: { type: "Localhost" } },
    };
    assert.throws(() => seccompProfile(pod({}, container), { ...options, container }), {
      message: "localhostProfile must be set if seccompProfile type is Localhost.",
    });
  });
});

Deno.test("namespacesForPod() maps host* and shareProcessNamespace", async (t) => {
  const cases: [Partial<PodSpec>, unknown][] = [
    [{}, { network: "POD", pid: "CONTAINER", ipc: "POD" }],
    [{ hostNetwork: true, hostPID: true, hostIPC: true }, {
      network: "NODE",
      pid: "NODE",
      ipc: "NODE",
    }],
    [{ shareProcessNamespace: true }, { network: "POD", pid: "POD", ipc: "POD" }],
  ];
  for (const [spec, want] of cases) {
    await t.step(JSON.stringify(spec), () => assert.deepEqual(namespacesForPod(pod(spec)), want));
  }
});

Deno.test("linuxSecurityContext() builds the CRI security context", async (t) => {
  await t.step("defaults", () => {
    const container: Container = { name: "app" };
    const sc = linuxSecurityContext(pod({}, container), {
      ...options,
      container,
      imageUser: { uid: 1000 },
    });
    assert.deepEqual(sc, {
      namespaceOptions: { network: "POD", pid: "CONTAINER", ipc: "POD" },
      runAsUser: { value: 1000 },
      noNewPrivs: false,
      maskedPaths: [
        "/proc/asound",
        "/proc/acpi",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/sys/firmware",
        "/sys/devices/virtual/powercap",
      ],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
      seccomp: { profileType: "Unconfined" },
    });
  });
  await t.step("everything set", () => {
    const container: Container = {
      name: "app",
      securityContext: {
        capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] },
        privileged: false,
        runAsUser: 10,
        runAsGroup: 20,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        procMount: "Unmasked",
        appArmorProfile: { type: "Localhost", localhostProfile: "k8s-nginx" },
      },
    };
    const p = pod(
      { securityContext: { fsGroup: 2000, supplementalGroups: [3000, 4000] } },
      container,
    );
    const sc = linuxSecurityContext(p, { ...options, container, imageUser: { username: "www" } });
    assert.deepEqual(sc, {
      capabilities: { addCapabilities: ["NET_ADMIN"], dropCapabilities: ["ALL"] },
      privileged: false,
      namespaceOptions: { network: "POD", pid: "CONTAINER", ipc: "POD" },
      runAsUser: { value: 10 },
      runAsGroup: { value: 20 },
      readonlyRootfs: true,
      supplementalGroups: [2000, 3000, 4000],
      noNewPrivs: true,
      maskedPaths: [],
      readonlyPaths: [],
      seccomp: { profileType: "Unconfined" },
      apparmor: { profileType: "Localhost", localhostRef: "k8s-nginx" },
    });
  });
  await t.step("image user name when no uid is known", () => {
    const container: Container = { name: "app" };
    const sc = linuxSecurityContext(pod({}, container), {
      ...options,
      container,
      imageUser: { username: "www" },
    });
    assert.equal(sc.runAsUsername, "www");
    assert.equal(sc.runAsUser, undefined);
  });
});
