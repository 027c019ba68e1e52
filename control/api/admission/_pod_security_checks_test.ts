import assert from "node:assert/strict";
import type { PodSpec } from "../types/core_v1_pod.ts";
import type { ObjectMeta } from "../types/meta_v1.ts";
import {
  evaluatePodSecurity,
  forbiddenDetail,
  forbiddenReason,
  type LevelVersion,
  MAX_POLICY_MINOR,
  type PodSecurityLevel,
} from "./_pod_security_checks.ts";

interface TestPod {
  metadata: ObjectMeta;
  spec: PodSpec;
}

/** A pod every level admits. */
function restrictedPod(): TestPod {
  return {
    metadata: { name: "p" },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      containers: [{
        name: "c",
        image: "x",
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
      }],
    },
  } as TestPod;
}

function lv(level: PodSecurityLevel, version = "latest"): LevelVersion {
  return {
    level,
    version: version === "latest"
      ? { latest: true, minor: 0 }
      : { latest: false, minor: Number(version.slice(3)) },
  };
}

/** The violation message of `pod` at `level:version`, or null when admitted. */
function verdict(level: PodSecurityLevel, version: string, pod: TestPod): string | null {
  const r = evaluatePodSecurity(lv(level, version), pod);
  return r.allowed ? null : forbiddenDetail(r);
}

// deno-lint-ignore no-explicit-any
type Mutate = (p: any) => void;

interface Case {
  readonly name: string;
  readonly level: PodSecurityLevel;
  readonly version?: string;
  readonly change: Mutate;
  readonly want: string | null;
}

function container(p: TestPod, i = 0) {
  // deno-lint-ignore no-explicit-any
  return (p.spec.containers as any[])[i];
}

const BASELINE_CASES: Case[] = [
  {
    name: "host namespaces: all three",
    level: "baseline",
    change: (p) => Object.assign(p.spec, { hostNetwork: true, hostPID: true, hostIPC: true }),
    want: "host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)",
  },
  {
    name: "host namespaces: false is fine",
    level: "baseline",
    change: (p) => Object.assign(p.spec, { hostNetwork: false, hostPID: false }),
    want: null,
  },
  {
    name: "privileged",
    level: "baseline",
    change: (p) => container(p).securityContext.privileged = true,
    want: 'privileged (container "c" must not set securityContext.privileged=true)',
  },
  {
    name: "privileged: false is fine",
    level: "baseline",
    change: (p) => container(p).securityContext.privileged = false,
    want: null,
  },
  {
    name: "capabilities beyond the default set, across containers",
    level: "baseline",
    change: (p) => {
      container(p).securityContext.capabilities.add = ["SYS_ADMIN", "CHOWN"];
      p.spec.initContainers = [{
        name: "init",
        image: "x",
        securityContext: { capabilities: { add: ["NET_RAW", "SYS_ADMIN"] } },
      }];
    },
    want:
      'non-default capabilities (containers "init", "c" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)',
  },
  {
    name: "capabilities from the default set are fine",
    level: "baseline",
    change: (p) => container(p).securityContext.capabilities.add = ["CHOWN", "NET_BIND_SERVICE"],
    want: null,
  },
  {
    name: "hostPath volumes",
    level: "baseline",
    change: (p) =>
      p.spec.volumes = [
        { name: "a", hostPath: { path: "/" } },
        { name: "e", emptyDir: {} },
        { name: "b", hostPath: { path: "/etc" } },
      ],
    want: 'hostPath volumes (volumes "a", "b")',
  },
  {
    name: "host ports, sorted as text",
    level: "baseline",
    change: (p) => {
      container(p).ports = [{ containerPort: 80, hostPort: 8080 }, {
        containerPort: 1,
        hostPort: 0,
      }];
      p.spec.containers.push({
        name: "d",
        image: "x",
        ports: [{ containerPort: 1, hostPort: 80 }, { containerPort: 2, hostPort: 443 }],
      });
    },
    want: 'hostPort (containers "c", "d" use hostPorts 443, 80, 8080)',
  },
  {
    name: "one host port",
    level: "baseline",
    change: (p) => container(p).ports = [{ containerPort: 80, hostPort: 80 }],
    want: 'hostPort (container "c" uses hostPort 80)',
  },
  {
    name: "AppArmor: unconfined field and annotation",
    level: "baseline",
    change: (p) => {
      p.spec.securityContext.appArmorProfile = { type: "Unconfined" };
      p.metadata.annotations = { "container.apparmor.security.beta.kubernetes.io/c": "unconfined" };
    },
    want:
      'forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/c="unconfined"")',
  },
  {
    name: "AppArmor: a container",
    level: "baseline",
    change: (p) => container(p).securityContext.appArmorProfile = { type: "Unconfined" },
    want:
      'forbidden AppArmor profile (container "c" must not set AppArmor profile type to "Unconfined")',
  },
  {
    name: "AppArmor: runtime default and localhost are fine",
    level: "baseline",
    change: (p) => {
      p.spec.securityContext.appArmorProfile = { type: "RuntimeDefault" };
      container(p).securityContext.appArmorProfile = { type: "Localhost", localhostProfile: "x" };
      p.metadata.annotations = {
        "container.apparmor.security.beta.kubernetes.io/c": "localhost/x",
      };
    },
    want: null,
  },
  {
    name: "SELinux: a custom type and a user",
    level: "baseline",
    change: (p) => container(p).securityContext.seLinuxOptions = { type: "spc_t", user: "root" },
    want:
      'seLinuxOptions (container "c" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)',
  },
  {
    name: "SELinux: a role at pod level",
    level: "baseline",
    change: (p) => p.spec.securityContext.seLinuxOptions = { role: "sysadm_r" },
    want: "seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: role may not be set)",
  },
  {
    name: "SELinux: container_engine_t from v1.31",
    level: "baseline",
    change: (p) => container(p).securityContext.seLinuxOptions = { type: "container_engine_t" },
    want: null,
  },
  {
    name: "SELinux: container_engine_t before v1.31",
    level: "baseline",
    version: "v1.30",
    change: (p) => container(p).securityContext.seLinuxOptions = { type: "container_engine_t" },
    want:
      'seLinuxOptions (container "c" set forbidden securityContext.seLinuxOptions: type "container_engine_t")',
  },
  {
    name: "/proc mount",
    level: "baseline",
    change: (p) => container(p).securityContext.procMount = "Unmasked",
    want: 'procMount (container "c" must not set securityContext.procMount to "Unmasked")',
  },
  {
    name: "/proc mount: Default is fine",
    level: "baseline",
    change: (p) => container(p).securityContext.procMount = "Default",
    want: null,
  },
  {
    name: "seccomp: unconfined",
    level: "baseline",
    change: (p) => {
      p.spec.securityContext.seccompProfile = { type: "Unconfined" };
      container(p).securityContext.seccompProfile = { type: "Unconfined" };
    },
    want:
      'seccompProfile (pod and container "c" must not set securityContext.seccompProfile.type to "Unconfined")',
  },
  {
    name: "seccomp: annotations before v1.19",
    level: "baseline",
    version: "v1.18",
    change: (p) =>
      p.metadata.annotations = {
        "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
        "container.seccomp.security.alpha.kubernetes.io/c": "runtime/default",
      },
    want:
      'seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")',
  },
  {
    name: "sysctls outside the safe set",
    level: "baseline",
    change: (p) =>
      p.spec.securityContext.sysctls = [
        { name: "kernel.msgmax", value: "1" },
        { name: "net.ipv4.tcp_rmem", value: "1" },
        { name: "vm.swappiness", value: "1" },
      ],
    want: "forbidden sysctls (kernel.msgmax, vm.swappiness)",
  },
  {
    name: "sysctls: tcp_rmem before v1.32",
    level: "baseline",
    version: "v1.31",
    change: (p) => p.spec.securityContext.sysctls = [{ name: "net.ipv4.tcp_rmem", value: "1" }],
    want: "forbidden sysctls (net.ipv4.tcp_rmem)",
  },
  {
    name: "sysctls: keepalive before v1.29",
    level: "baseline",
    version: "v1.28",
    change: (p) =>
      p.spec.securityContext.sysctls = [
        { name: "net.ipv4.ip_local_reserved_ports", value: "1" },
        { name: "net.ipv4.tcp_keepalive_time", value: "1" },
      ],
    want: "forbidden sysctls (net.ipv4.tcp_keepalive_time)",
  },
  {
    name: "Windows host process",
    level: "baseline",
    change: (p) => {
      p.spec.securityContext.windowsOptions = { hostProcess: true };
      container(p).securityContext.windowsOptions = { hostProcess: true };
    },
    want:
      'hostProcess (pod and container "c" must not set securityContext.windowsOptions.hostProcess=true)',
  },
];

const RESTRICTED_CASES: Case[] = [
  {
    name: "privilege escalation allowed by default",
    level: "restricted",
    change: (p) => delete container(p).securityContext.allowPrivilegeEscalation,
    want:
      'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)',
  },
  {
    name: "capabilities: no drop ALL and an extra add",
    level: "restricted",
    change: (p) =>
      container(p).securityContext.capabilities = {
        drop: ["NET_RAW"],
        add: ["SYS_TIME", "NET_RAW"],
      },
    want:
      'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]; container "c" must not include "NET_RAW", "SYS_TIME" in securityContext.capabilities.add)',
  },
  {
    name: "capabilities: NET_BIND_SERVICE may be added",
    level: "restricted",
    change: (p) => container(p).securityContext.capabilities.add = ["NET_BIND_SERVICE"],
    want: null,
  },
  {
    name: "capabilities: before v1.22 the baseline rule applies",
    level: "restricted",
    version: "v1.21",
    change: (p) => container(p).securityContext.capabilities = { add: ["SYS_TIME"] },
    want:
      'non-default capabilities (container "c" must not include "SYS_TIME" in securityContext.capabilities.add)',
  },
  {
    name: "volumes: only the core types, reported instead of hostPath volumes",
    level: "restricted",
    change: (p) =>
      p.spec.volumes = [
        { name: "h", hostPath: { path: "/" } },
        { name: "ok", image: { reference: "x" } },
        { name: "n", nfs: { server: "s", path: "/" } },
        { name: "x", somethingNew: {} },
      ],
    want:
      'restricted volume types (volumes "h", "n", "x" use restricted volume types "hostPath", "nfs", "unknown")',
  },
  {
    name: "volumes: the allowed types",
    level: "restricted",
    change: (p) =>
      p.spec.volumes = [
        { name: "a", configMap: { name: "c" } },
        { name: "b", secret: { secretName: "s" } },
        { name: "c", emptyDir: {} },
        { name: "d", projected: { sources: [] } },
        { name: "e", downwardAPI: {} },
        { name: "f", persistentVolumeClaim: { claimName: "x" } },
        { name: "g", csi: { driver: "d" } },
        { name: "h", ephemeral: {} },
        { name: "i", image: { reference: "x" } },
      ],
    want: null,
  },
  {
    name: "runAsNonRoot: explicitly false at pod level",
    level: "restricted",
    change: (p) => p.spec.securityContext.runAsNonRoot = false,
    want: "runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)",
  },
  {
    name: "runAsNonRoot: unset everywhere",
    level: "restricted",
    change: (p) => delete p.spec.securityContext.runAsNonRoot,
    want: 'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true)',
  },
  {
    name: "runAsNonRoot: every container setting it is enough",
    level: "restricted",
    change: (p) => {
      delete p.spec.securityContext.runAsNonRoot;
      container(p).securityContext.runAsNonRoot = true;
    },
    want: null,
  },
  {
    name: "runAsUser 0",
    level: "restricted",
    change: (p) => {
      p.spec.securityContext.runAsUser = 0;
      container(p).securityContext.runAsUser = 0;
    },
    want: 'runAsUser=0 (pod and container "c" must not set runAsUser=0)',
  },
  {
    name: "runAsUser 0 before v1.23",
    level: "restricted",
    version: "v1.22",
    change: (p) => p.spec.securityContext.runAsUser = 0,
    want: null,
  },
  {
    name: "seccomp: unset everywhere",
    level: "restricted",
    change: (p) => delete p.spec.securityContext.seccompProfile,
    want:
      'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  },
  {
    name: "seccomp: a container's own profile is enough",
    level: "restricted",
    change: (p) => {
      delete p.spec.securityContext.seccompProfile;
      container(p).securityContext.seccompProfile = { type: "Localhost", localhostProfile: "p" };
    },
    want: null,
  },
  {
    name: "Windows pods skip the Linux-only checks from v1.25",
    level: "restricted",
    change: (p) => {
      p.spec.os = { name: "windows" };
      p.spec.securityContext = { runAsNonRoot: true };
      container(p).securityContext = {};
    },
    want: null,
  },
  {
    name: "Windows pods before v1.25",
    level: "restricted",
    version: "v1.24",
    change: (p) => {
      p.spec.os = { name: "windows" };
      p.spec.securityContext = { runAsNonRoot: true };
      container(p).securityContext = {};
    },
    want:
      'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  },
];

Deno.test("evaluatePodSecurity() applies each baseline check", async (t) => {
  assert.equal(verdict("baseline", "latest", restrictedPod()), null);
  for (const c of BASELINE_CASES) {
    await t.step(c.name, () => {
      const p = restrictedPod();
      c.change(p);
      assert.equal(verdict(c.level, c.version ?? "latest", p), c.want);
      // Restricted includes baseline; privileged checks nothing.
      if (c.want !== null && !c.name.includes("before")) {
        assert.notEqual(verdict("restricted", c.version ?? "latest", p), null);
      }
      assert.equal(verdict("privileged", "latest", p), null);
    });
  }
});

Deno.test("evaluatePodSecurity() applies each restricted check", async (t) => {
  assert.equal(verdict("restricted", "latest", restrictedPod()), null);
  for (const c of RESTRICTED_CASES) {
    await t.step(c.name, () => {
      const p = restrictedPod();
      c.change(p);
      assert.equal(verdict(c.level, c.version ?? "latest", p), c.want);
    });
  }
});

Deno.test("evaluatePodSecurity() orders baseline checks before restricted ones, by ID", () => {
  const p: TestPod = {
    metadata: {},
    spec: {
      hostNetwork: true,
      volumes: [{ name: "h", hostPath: { path: "/" } }],
      containers: [{
        name: "c",
        image: "x",
        securityContext: { privileged: true, capabilities: { add: ["NET_ADMIN"] } },
      }],
    },
  } as TestPod;
  const baseline = evaluatePodSecurity(lv("baseline"), p);
  assert.equal(
    forbiddenReason(baseline),
    "non-default capabilities, host namespaces, hostPath volumes, privileged",
  );
  const restricted = evaluatePodSecurity(lv("restricted"), p);
  assert.equal(
    forbiddenReason(restricted),
    "host namespaces, privileged, allowPrivilegeEscalation != false, unrestricted capabilities, restricted volume types, runAsNonRoot != true, seccompProfile",
  );
});

Deno.test("evaluatePodSecurity() evaluates newer and latest versions as the newest policy", () => {
  assert.equal(MAX_POLICY_MINOR, 32);
  const p = restrictedPod();
  p.spec.securityContext!.sysctls = [{ name: "net.ipv4.tcp_wmem", value: "1" }];
  assert.equal(verdict("baseline", "v1.99", p), null);
  assert.equal(verdict("baseline", "v1.0", p), "forbidden sysctls (net.ipv4.tcp_wmem)");
  // Before v1.8 privilege escalation is not checked.
  const q = restrictedPod();
  delete (q.spec.containers[0]!.securityContext as Record<string, unknown>)
    .allowPrivilegeEscalation;
  assert.equal(verdict("restricted", "v1.7", q), null);
});
