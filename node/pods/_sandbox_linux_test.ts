import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import {
  hasPrivilegedContainer,
  podCgroupParent,
  podNamespaces,
  sandboxLinuxConfig,
} from "./_sandbox_linux.ts";

function pod(spec: Partial<NonNullable<Pod["spec"]>> = {}): Pod {
  return {
    metadata: { name: "p", namespace: "ns", uid: "abc" },
    spec: { containers: [{ name: "a" }], ...spec },
  };
}

Deno.test("podCgroupParent() places the pod by its QoS class", async (t) => {
  const both = { cpu: "100m", memory: "64Mi" };
  const cases: { name: string; resources: object; want: string }[] = [
    { name: "BestEffort", resources: {}, want: "/kubepods/besteffort/podabc" },
    {
      name: "Burstable",
      resources: { requests: { cpu: "100m" } },
      want: "/kubepods/burstable/podabc",
    },
    { name: "Guaranteed", resources: { requests: both, limits: both }, want: "/kubepods/podabc" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(
        podCgroupParent(pod({ containers: [{ name: "a", resources: c.resources }] })),
        c.want,
      );
    });
  }
});

Deno.test("podNamespaces() maps host and shared namespaces", async (t) => {
  const cases: { name: string; spec: Partial<NonNullable<Pod["spec"]>>; want: unknown }[] = [
    { name: "defaults", spec: {}, want: { network: "POD", pid: "CONTAINER", ipc: "POD" } },
    {
      name: "host namespaces",
      spec: { hostNetwork: true, hostPID: true, hostIPC: true },
      want: { network: "NODE", pid: "NODE", ipc: "NODE" },
    },
    {
      name: "shared process namespace",
      spec: { shareProcessNamespace: true },
      want: { network: "POD", pid: "POD", ipc: "POD" },
    },
    {
      name: "hostPID wins over shareProcessNamespace",
      spec: { hostPID: true, shareProcessNamespace: true },
      want: { network: "POD", pid: "NODE", ipc: "POD" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(podNamespaces(pod(c.spec)), c.want));
  }
});

Deno.test("hasPrivilegedContainer() looks at every kind of container", async (t) => {
  const priv = { privileged: true };
  const cases: { name: string; spec: Partial<NonNullable<Pod["spec"]>>; want: boolean }[] = [
    { name: "none", spec: {}, want: false },
    {
      name: "explicitly unprivileged",
      spec: { containers: [{ name: "a", securityContext: { privileged: false } }] },
      want: false,
    },
    { name: "container", spec: { containers: [{ name: "a", securityContext: priv }] }, want: true },
    {
      name: "init container",
      spec: { initContainers: [{ name: "i", securityContext: priv }] },
      want: true,
    },
    {
      name: "ephemeral container",
      spec: { ephemeralContainers: [{ name: "e", securityContext: priv }] },
      want: true,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(hasPrivilegedContainer(pod(c.spec)), c.want));
  }
});

Deno.test("sandboxLinuxConfig() carries the pod's security context", async (t) => {
  const base = {
    namespaceOptions: { network: "POD", pid: "CONTAINER", ipc: "POD" },
    privileged: false,
    seccomp: { profileType: "RuntimeDefault" },
  };
  const cases: {
    name: string;
    spec: Partial<NonNullable<Pod["spec"]>>;
    want: unknown;
    sysctls?: unknown;
  }[] = [
    { name: "no security context", spec: {}, want: base },
    {
      name: "user, group, fsGroup before supplemental groups",
      spec: {
        securityContext: {
          runAsUser: 1000,
          runAsGroup: 0,
          fsGroup: 2000,
          supplementalGroups: [3, 4],
        },
      },
      want: {
        ...base,
        runAsUser: { value: 1000 },
        runAsGroup: { value: 0 },
        supplementalGroups: [2000, 3, 4],
      },
    },
    {
      name: "the pod's seccomp profile does not apply to the sandbox",
      spec: { securityContext: { seccompProfile: { type: "Unconfined" } } },
      want: base,
    },
    {
      name: "sysctls",
      spec: {
        securityContext: {
          sysctls: [{ name: "net.ipv4.ip_forward", value: "1" }, {
            name: "kernel.shm_rmid_forced",
            value: "0",
          }],
        },
      },
      want: base,
      sysctls: { "net.ipv4.ip_forward": "1", "kernel.shm_rmid_forced": "0" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const config = sandboxLinuxConfig(pod(c.spec));
      assert.deepEqual(config, {
        cgroupParent: "/kubepods/besteffort/podabc",
        securityContext: c.want,
        sysctls: c.sysctls ?? {},
      });
    });
  }
});
