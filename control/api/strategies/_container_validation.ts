/**
 * Validation of containers, init containers and ephemeral containers (upstream
 * `validateContainers`, `validateInitContainers`, `validateEphemeralContainers` and
 * `validateContainerCommon` with what they call).
 *
 * @module
 */
import type { ResourceRequirements } from "../types/core_v1_common.ts";
import type {
  Container,
  EnvFromSource,
  EnvVar,
  EphemeralContainer,
  Lifecycle,
  LifecycleHandler,
  Probe,
  SecurityContext,
  Volume,
  VolumeDevice,
  VolumeMount,
} from "../types/core_v1_pod.ts";
import {
  duplicate,
  FieldError,
  type FieldPath,
  forbidden,
  invalid,
  invalidEach,
  notFound,
  notSupported,
  required,
} from "../validation/field_errors.ts";
import { validateLocalDescendingPath, validatePathNoBacksteps } from "../validation/local_paths.ts";
import { isConfigMapKey, isDns1123Subdomain, validateDns1123Label } from "../validation/names.ts";
import { validateNonnegativeField } from "../validation/numbers.ts";
import { isValidPortName, isValidPortNum, validatePortNumOrName } from "../validation/ports.ts";
import {
  isHugePageResourceName,
  isOvercommitAllowed,
  parseQuantity,
  validateContainerResourceName,
  validateResourceQuantityValue,
} from "../validation/resource_names.ts";
import {
  ENV_DOWNWARD_API_FIELDS,
  validateObjectFieldSelector,
  validateResourceFieldSelector,
} from "./_downward_api.ts";
import { isHttpHeaderName, isRelaxedEnvVarName, validateId } from "./_validation_util.ts";

/** What the container checks need from the pod spec around them. */
export interface ContainerContext {
  /** The valid volumes of the pod, by name. */
  readonly volumes: ReadonlyMap<string, Volume>;
  /** Names of the pod's resourceClaims. */
  readonly claimNames: ReadonlySet<string>;
  /** The pod's terminationGracePeriodSeconds. */
  readonly gracePeriod: number | undefined;
  /** The pod's restartPolicy. */
  readonly restartPolicy: string | undefined;
  /** The pod runs in the host user namespace (hostUsers unset or true). */
  readonly hostUsers: boolean;
}

function validatePorts(ports: Container["ports"], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((port, i) => {
    const p = path.index(i);
    if (port.name) {
      const msgs = isValidPortName(port.name);
      if (msgs.length > 0) {
        errs.push(...invalidEach(p.child("name"), { value: port.name, messages: msgs }));
      } else if (names.has(port.name)) errs.push(duplicate(p.child("name"), port.name));
      else names.add(port.name);
    }
    if (port.containerPort === 0) {
      errs.push(required(p.child("containerPort")));
    } else if (port.containerPort !== undefined) {
      errs.push(...invalidEach(p.child("containerPort"), {
        value: port.containerPort,
        messages: isValidPortNum(port.containerPort),
      }));
    }
    if (port.hostPort) {
      errs.push(...invalidEach(p.child("hostPort"), {
        value: port.hostPort,
        messages: isValidPortNum(port.hostPort),
      }));
    }
  });
  return errs;
}

function validateKeySelector(
  s: { readonly name?: string; readonly key: string },
  path: FieldPath,
): FieldError[] {
  const errs = invalidEach(path.child("name"), {
    value: s.name ?? "",
    messages: isDns1123Subdomain(s.name ?? ""),
  });
  if (s.key) {
    errs.push(...invalidEach(path.child("key"), { value: s.key, messages: isConfigMapKey(s.key) }));
  }
  return errs;
}

function validateEnv(env: readonly EnvVar[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (env ?? []).forEach((ev, i) => {
    const p = path.index(i);
    if (ev.name) {
      errs.push(
        ...invalidEach(p.child("name"), { value: ev.name, messages: isRelaxedEnvVarName(ev.name) }),
      );
    }
    const from = ev.valueFrom;
    if (!from) return;
    const fp = p.child("valueFrom");
    let sources = 0;
    if (from.fieldRef) {
      sources++;
      errs.push(...validateObjectFieldSelector(from.fieldRef, {
        expressions: ENV_DOWNWARD_API_FIELDS,
        path: fp.child("fieldRef"),
      }));
    }
    if (from.resourceFieldRef) {
      sources++;
      errs.push(...validateResourceFieldSelector(from.resourceFieldRef, {
        path: fp.child("resourceFieldRef"),
        volume: false,
      }));
    }
    if (from.configMapKeyRef) {
      sources++;
      errs.push(...validateKeySelector(from.configMapKeyRef, fp.child("configMapKeyRef")));
    }
    if (from.secretKeyRef) {
      sources++;
      errs.push(...validateKeySelector(from.secretKeyRef, fp.child("secretKeyRef")));
    }
    if (sources === 0) {
      errs.push(invalid(fp, {
        value: "",
        detail:
          "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
      }));
    } else if (ev.value) {
      errs.push(
        invalid(fp, { value: "", detail: "may not be specified when `value` is not empty" }),
      );
    } else if (sources > 1) {
      errs.push(
        invalid(fp, { value: "", detail: "may not have more than one field specified at a time" }),
      );
    }
  });
  return errs;
}

function validateEnvFrom(
  list: readonly EnvFromSource[] | undefined,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  (list ?? []).forEach((ev, i) => {
    const p = path.index(i);
    if (ev.prefix) {
      errs.push(
        ...invalidEach(p.child("prefix"), {
          value: ev.prefix,
          messages: isRelaxedEnvVarName(ev.prefix),
        }),
      );
    }
    let sources = 0;
    for (const key of ["configMapRef", "secretRef"] as const) {
      const ref = ev[key];
      if (!ref) continue;
      sources++;
      const rp = p.child(key).child("name");
      if (!ref.name) errs.push(required(rp));
      else {
        // Names are checked as prefixes: a trailing dash is allowed.
        const masked = ref.name.endsWith("-") ? ref.name.slice(0, -1) + "a" : ref.name;
        errs.push(...invalidEach(rp, { value: ref.name, messages: isDns1123Subdomain(masked) }));
      }
    }
    if (sources === 0) {
      errs.push(
        invalid(path, { value: "", detail: "must specify one of: `configMapRef` or `secretRef`" }),
      );
    } else if (sources > 1) {
      errs.push(
        invalid(path, {
          value: "",
          detail: "may not have more than one field specified at a time",
        }),
      );
    }
  });
  return errs;
}

function validateVolumeMounts(
  c: Container,
  options: { readonly path: FieldPath; readonly volumes: ReadonlyMap<string, Volume> },
): FieldError[] {
  const { path, volumes } = options;
  const errs: FieldError[] = [];
  const devices = new Map((c.volumeDevices ?? []).map((d) => [d.name, d.devicePath]));
  const devicePaths = new Set(devices.values());
  const mountPoints = new Set<string>();
  (c.volumeMounts ?? []).forEach((m: VolumeMount, i) => {
    const p = path.index(i);
    if (!volumes.has(m.name)) errs.push(notFound(p.child("name"), m.name));
    if (mountPoints.has(m.mountPath)) {
      errs.push(invalid(p.child("mountPath"), { value: m.mountPath, detail: "must be unique" }));
    }
    mountPoints.add(m.mountPath);
    if (devices.has(m.name)) {
      errs.push(
        invalid(p.child("name"), {
          value: m.name,
          detail: "must not already exist in volumeDevices",
        }),
      );
    }
    if (devicePaths.has(m.mountPath)) {
      errs.push(invalid(p.child("mountPath"), {
        value: m.mountPath,
        detail: "must not already exist as a path in volumeDevices",
      }));
    }
    // Upstream reports these two at the list's path, without the index.
    if (m.subPath) errs.push(...validateLocalDescendingPath(m.subPath, path.child("subPath")));
    if (m.subPathExpr) {
      if (m.subPath) {
        errs.push(invalid(p.child("subPathExpr"), {
          value: m.subPathExpr,
          detail: "subPathExpr and subPath are mutually exclusive",
        }));
      }
      errs.push(...validateLocalDescendingPath(m.subPathExpr, path.child("subPathExpr")));
    }
    if (m.mountPropagation === "Bidirectional" && c.securityContext?.privileged !== true) {
      errs.push(forbidden(
        path.child("mountPropagation"),
        "Bidirectional mount propagation is available only to privileged containers",
      ));
    }
    if (m.recursiveReadOnly !== undefined) {
      const rp = path.child("recursiveReadOnly");
      if (!m.readOnly && m.recursiveReadOnly !== "Disabled") {
        errs.push(forbidden(rp, "may only be specified when readOnly is true"));
      } else if (
        m.recursiveReadOnly !== "Disabled" && m.mountPropagation !== undefined &&
        m.mountPropagation !== "None"
      ) {
        errs.push(
          forbidden(rp, "may only be specified when mountPropagation is None or not specified"),
        );
      }
    }
  });
  return errs;
}

function validateVolumeDevices(
  c: Container,
  options: { readonly path: FieldPath; readonly volumes: ReadonlyMap<string, Volume> },
): FieldError[] {
  const { path, volumes } = options;
  const errs: FieldError[] = [];
  const mounts = new Map((c.volumeMounts ?? []).map((m) => [m.name, m.mountPath]));
  const mountPaths = new Set(mounts.values());
  const paths = new Set<string>();
  const names = new Set<string>();
  (c.volumeDevices ?? []).forEach((d: VolumeDevice, i) => {
    const p = path.index(i);
    const vol = volumes.get(d.name);
    if (names.has(d.name)) {
      errs.push(invalid(p.child("name"), { value: d.name, detail: "must be unique" }));
    }
    if (vol !== undefined && !vol.persistentVolumeClaim && !vol.ephemeral) {
      errs.push(invalid(p.child("name"), {
        value: d.name,
        detail:
          "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode",
      }));
    }
    if (vol === undefined) errs.push(notFound(p.child("name"), d.name));
    if (paths.has(d.devicePath)) {
      errs.push(invalid(p.child("devicePath"), { value: d.devicePath, detail: "must be unique" }));
    }
    if (
      d.devicePath && validatePathNoBacksteps(d.devicePath, path.child("devicePath")).length > 0
    ) {
      errs.push(invalid(p.child("devicePath"), {
        value: d.devicePath,
        detail: "can not contain backsteps ('..')",
      }));
    } else {
      paths.add(d.devicePath);
    }
    if (mounts.has(d.name)) {
      errs.push(
        invalid(p.child("name"), {
          value: d.name,
          detail: "must not already exist in volumeMounts",
        }),
      );
    }
    if (mountPaths.has(d.devicePath)) {
      errs.push(invalid(p.child("devicePath"), {
        value: d.devicePath,
        detail: "must not already exist as a path in volumeMounts",
      }));
    }
    if (d.name) names.add(d.name);
  });
  return errs;
}

/** `ValidateResourceRequirements` for a container (or the pod's overhead-like lists). */
export function validateResourceRequirements(
  r: ResourceRequirements | undefined,
  options: { readonly path: FieldPath; readonly claimNames: ReadonlySet<string> },
): FieldError[] {
  const { path } = options;
  const errs: FieldError[] = [];
  const limPath = path.child("limits");
  const reqPath = path.child("requests");
  let limCpuMem = false, reqCpuMem = false, limHuge = false, reqHuge = false;
  for (const [name, raw] of Object.entries(r?.limits ?? {})) {
    const p = limPath.index(name);
    errs.push(...validateContainerResourceName(name, p));
    const q = parseQuantity(raw);
    if (q !== null) errs.push(...validateResourceQuantityValue(q, { name, path: p }));
    if (isHugePageResourceName(name)) limHuge = true;
    if (name === "cpu" || name === "memory") limCpuMem = true;
  }
  for (const [name, raw] of Object.entries(r?.requests ?? {})) {
    const p = reqPath.index(name);
    errs.push(...validateContainerResourceName(name, p));
    const q = parseQuantity(raw);
    if (q !== null) errs.push(...validateResourceQuantityValue(q, { name, path: p }));
    const limRaw = r?.limits?.[name];
    const lim = parseQuantity(limRaw);
    if (limRaw !== undefined && q !== null && lim !== null) {
      if (q.cmp(lim) !== 0 && !isOvercommitAllowed(name)) {
        errs.push(invalid(reqPath, {
          value: q.toString(),
          detail: `must be equal to ${name} limit of ${lim.toString()}`,
        }));
      } else if (q.cmp(lim) > 0) {
        errs.push(invalid(reqPath, {
          value: q.toString(),
          detail: `must be less than or equal to ${name} limit of ${lim.toString()}`,
        }));
      }
    } else if (limRaw === undefined && !isOvercommitAllowed(name)) {
      errs.push(required(limPath, "Limit must be set for non overcommitable resources"));
    }
    if (isHugePageResourceName(name)) reqHuge = true;
    if (name === "cpu" || name === "memory") reqCpuMem = true;
  }
  if (!limCpuMem && !reqCpuMem && (reqHuge || limHuge)) {
    errs.push(forbidden(path, "HugePages require cpu or memory"));
  }
  const claims = new Set<string>();
  (r?.claims ?? []).forEach((claim, i) => {
    const p = path.child("claims").index(i);
    if (!claim.name) return; // the schema reports it
    let key = claim.name;
    if (claim.request) {
      errs.push(...validateDns1123Label(claim.request, p.child("request")));
      key += `/${claim.request}`;
    }
    if (claims.has(key)) errs.push(duplicate(p, claim.name));
    else claims.add(key);
    if (!options.claimNames.has(claim.name)) {
      const names = [...options.claimNames].sort();
      errs.push(
        new FieldError("notFound", {
          field: p,
          value: claim.name,
          detail: "must be one of the names in pod.spec.resourceClaims" +
            (names.length === 0 ? " which is empty" : `: ${names.join(", ")}`),
        }),
      );
    }
  });
  return errs;
}

function validateResizePolicy(c: Container, path: FieldPath, restartPolicy: string | undefined) {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const [i, p] of (c.resizePolicy ?? []).entries()) {
    if (seen.has(p.resourceName)) errs.push(duplicate(path.index(i), p.resourceName));
    seen.add(p.resourceName);
    if (p.resourceName && p.resourceName !== "cpu" && p.resourceName !== "memory") {
      errs.push(notSupported(path, { value: p.resourceName, supported: ["cpu", "memory"] }));
    }
    if (restartPolicy === "Never" && p.restartPolicy !== "NotRequired") {
      errs.push(invalid(path, {
        value: p.restartPolicy,
        detail: "must be 'NotRequired' when `restartPolicy` is 'Never'",
      }));
    }
  }
  return errs;
}

function validateProfile(
  profile: { readonly type: string; readonly localhostProfile?: string } | undefined,
  options: { readonly path: FieldPath; readonly what: "seccomp" | "AppArmor" },
): FieldError[] {
  if (profile === undefined) return [];
  const { path, what } = options;
  const lp = path.child("localhostProfile");
  const errs: FieldError[] = [];
  if (profile.type === "Localhost") {
    if (profile.localhostProfile === undefined) {
      errs.push(required(lp, `must be set when ${what} type is Localhost`));
    } else if (what === "seccomp") {
      errs.push(...validateLocalDescendingPath(profile.localhostProfile, lp));
    } else if (profile.localhostProfile.trim() !== profile.localhostProfile) {
      errs.push(
        invalid(lp, {
          value: profile.localhostProfile,
          detail: "must not be padded with whitespace",
        }),
      );
    } else if (profile.localhostProfile === "") {
      errs.push(required(lp, "must be set when AppArmor type is Localhost"));
    }
  } else if (profile.localhostProfile !== undefined) {
    errs.push(invalid(lp, {
      value: what === "seccomp" ? profile : profile.localhostProfile,
      detail: `can only be set when ${what} type is Localhost`,
    }));
  }
  return errs;
}

/** Seccomp profile checks shared by pod and container security contexts. */
export function validateSeccompProfile(
  profile: { readonly type: string; readonly localhostProfile?: string } | undefined,
  path: FieldPath,
): FieldError[] {
  return validateProfile(profile, { path, what: "seccomp" });
}

/** AppArmor profile checks shared by pod and container security contexts. */
export function validateAppArmorProfile(
  profile: { readonly type: string; readonly localhostProfile?: string } | undefined,
  path: FieldPath,
): FieldError[] {
  return validateProfile(profile, { path, what: "AppArmor" });
}

function validateSecurityContext(
  sc: SecurityContext | undefined,
  options: { readonly path: FieldPath; readonly hostUsers: boolean },
): FieldError[] {
  if (sc === undefined) return [];
  const { path } = options;
  const errs: FieldError[] = [];
  if (sc.runAsUser !== undefined) errs.push(...validateId(sc.runAsUser, path.child("runAsUser")));
  if (sc.runAsGroup !== undefined) {
    errs.push(...validateId(sc.runAsGroup, path.child("runAsGroup")));
  }
  if (sc.procMount === "Unmasked" && options.hostUsers) {
    errs.push(invalid(path.child("procMount"), {
      value: sc.procMount,
      detail: "`hostUsers` must be false to use `Unmasked`",
    }));
  }
  errs.push(...validateSeccompProfile(sc.seccompProfile, path.child("seccompProfile")));
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) {
      errs.push(invalid(path, {
        value: sc,
        detail: "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
      }));
    }
    for (const cap of sc.capabilities?.add ?? []) {
      if (cap === "CAP_SYS_ADMIN") {
        errs.push(invalid(path, {
          value: sc,
          detail:
            "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
        }));
      }
    }
  }
  errs.push(...validateAppArmorProfile(sc.appArmorProfile, path.child("appArmorProfile")));
  return errs;
}

/** `validateContainerCommon`. */
function validateContainerCommon(
  c: Container,
  path: FieldPath,
  ctx: ContainerContext,
): FieldError[] {
  const errs: FieldError[] = [];
  const namePath = path.child("name");
  if (c.name) errs.push(...validateDns1123Label(c.name, namePath));
  if (!c.image) errs.push(required(path.child("image")));
  if (!c.terminationMessagePolicy) errs.push(required(path.child("terminationMessagePolicy")));
  errs.push(...validatePorts(c.ports, path.child("ports")));
  errs.push(...validateEnv(c.env, path.child("env")));
  errs.push(...validateEnvFrom(c.envFrom, path.child("envFrom")));
  errs.push(...validateVolumeMounts(c, { path: path.child("volumeMounts"), volumes: ctx.volumes }));
  errs.push(
    ...validateVolumeDevices(c, { path: path.child("volumeDevices"), volumes: ctx.volumes }),
  );
  if (!c.imagePullPolicy) errs.push(required(path.child("imagePullPolicy")));
  errs.push(...validateResourceRequirements(c.resources, {
    path: path.child("resources"),
    claimNames: ctx.claimNames,
  }));
  errs.push(...validateResizePolicy(c, path.child("resizePolicy"), ctx.restartPolicy));
  errs.push(...validateSecurityContext(c.securityContext, {
    path: path.child("securityContext"),
    hostUsers: ctx.hostUsers,
  }));
  return errs;
}

type Handler = {
  readonly exec?: { readonly command?: readonly string[] };
  readonly httpGet?: NonNullable<LifecycleHandler["httpGet"]>;
  readonly tcpSocket?: { readonly port: number | string };
  readonly grpc?: { readonly port: number };
  readonly sleep?: { readonly seconds: number };
};

function validateHandler(
  h: Handler,
  path: FieldPath,
  gracePeriod: number | undefined,
): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  const kinds = ["exec", "httpGet", "tcpSocket", "grpc", "sleep"] as const;
  for (const kind of kinds) {
    if (h[kind] === undefined || h[kind] === null) continue;
    const p = path.child(kind);
    if (count > 0) {
      errs.push(forbidden(p, "may not specify more than 1 handler type"));
      continue;
    }
    count++;
    switch (kind) {
      case "exec":
        if ((h.exec!.command ?? []).length === 0) errs.push(required(p.child("command")));
        break;
      case "httpGet": {
        const g = h.httpGet!;
        if (!g.path) errs.push(required(p.child("path")));
        errs.push(...validatePortNumOrName(g.port, p.child("port")));
        if (!g.scheme) {
          errs.push(notSupported(p.child("scheme"), { value: "", supported: ["HTTP", "HTTPS"] }));
        }
        for (const header of g.httpHeaders ?? []) {
          errs.push(...invalidEach(p.child("httpHeaders"), {
            value: header.name,
            messages: isHttpHeaderName(header.name),
          }));
        }
        break;
      }
      case "tcpSocket":
        errs.push(...validatePortNumOrName(h.tcpSocket!.port, p.child("port")));
        break;
      case "grpc":
        errs.push(...validatePortNumOrName(h.grpc!.port, p.child("port")));
        break;
      case "sleep": {
        const s = h.sleep!.seconds;
        const grace = gracePeriod ?? 0;
        if (s <= 0 || s > grace) {
          errs.push(invalid(p, {
            value: s,
            detail: `must be greater than 0 and less than terminationGracePeriodSeconds (${grace})`,
          }));
        }
        break;
      }
    }
  }
  if (count === 0) errs.push(required(path, "must specify a handler type"));
  return errs;
}

function validateProbe(
  probe: Probe | undefined,
  options: { readonly path: FieldPath; readonly kind: "liveness" | "readiness" | "startup" },
  gracePeriod: number | undefined,
): FieldError[] {
  if (probe === undefined) return [];
  const { path } = options;
  const errs = validateHandler(probe, path, gracePeriod);
  errs.push(
    ...validateNonnegativeField(probe.initialDelaySeconds ?? 0, path.child("initialDelaySeconds")),
  );
  errs.push(...validateNonnegativeField(probe.timeoutSeconds ?? 0, path.child("timeoutSeconds")));
  errs.push(...validateNonnegativeField(probe.periodSeconds ?? 0, path.child("periodSeconds")));
  errs.push(
    ...validateNonnegativeField(probe.successThreshold ?? 0, path.child("successThreshold")),
  );
  errs.push(
    ...validateNonnegativeField(probe.failureThreshold ?? 0, path.child("failureThreshold")),
  );
  const tgps = probe.terminationGracePeriodSeconds;
  if (tgps !== undefined && tgps <= 0) {
    errs.push(invalid(path.child("terminationGracePeriodSeconds"), {
      value: tgps,
      detail: "must be greater than 0",
    }));
  }
  if (options.kind !== "readiness" && (probe.successThreshold ?? 0) !== 1) {
    errs.push(invalid(path.child("successThreshold"), {
      value: probe.successThreshold ?? 0,
      detail: "must be 1",
    }));
  }
  if (options.kind === "readiness" && tgps !== undefined) {
    errs.push(invalid(path.child("terminationGracePeriodSeconds"), {
      value: tgps,
      detail: "must not be set for readinessProbes",
    }));
  }
  return errs;
}

function validateLifecycle(
  l: Lifecycle,
  path: FieldPath,
  gracePeriod: number | undefined,
): FieldError[] {
  const errs: FieldError[] = [];
  if (l.postStart) errs.push(...validateHandler(l.postStart, path.child("postStart"), gracePeriod));
  if (l.preStop) errs.push(...validateHandler(l.preStop, path.child("preStop"), gracePeriod));
  return errs;
}

function validateProbesAndLifecycle(c: Container, path: FieldPath, grace: number | undefined) {
  const errs: FieldError[] = [];
  if (c.lifecycle) errs.push(...validateLifecycle(c.lifecycle, path.child("lifecycle"), grace));
  errs.push(
    ...validateProbe(
      c.livenessProbe,
      { path: path.child("livenessProbe"), kind: "liveness" },
      grace,
    ),
  );
  errs.push(
    ...validateProbe(
      c.readinessProbe,
      { path: path.child("readinessProbe"), kind: "readiness" },
      grace,
    ),
  );
  errs.push(
    ...validateProbe(c.startupProbe, { path: path.child("startupProbe"), kind: "startup" }, grace),
  );
  return errs;
}

/** `AccumulateUniqueHostPorts` over `containers`, reporting at `path`. */
function checkHostPortConflicts(containers: readonly Container[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    (c.ports ?? []).forEach((port, pi) => {
      if (!port.hostPort) return;
      const key = `${port.protocol ?? ""}/${port.hostIP ?? ""}/${port.hostPort}`;
      const p = path.index(ci).child("ports").index(pi).child("hostPort");
      if (seen.has(key)) errs.push(duplicate(p, key));
      else seen.add(key);
    });
  });
  return errs;
}

/** Options of {@linkcode validateContainers} and friends. */
export interface ContainerListOptions {
  readonly path: FieldPath;
  readonly context: ContainerContext;
}

/** `validateContainers` (regular containers). */
export function validateContainers(
  containers: readonly Container[] | undefined,
  options: ContainerListOptions,
): FieldError[] {
  const { path, context } = options;
  if (!containers || containers.length === 0) return []; // the schema reports it
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const p = path.index(i);
    errs.push(...validateContainerCommon(c, p, context));
    if (names.has(c.name)) errs.push(duplicate(p.child("name"), c.name));
    else names.add(c.name);
    errs.push(...validateProbesAndLifecycle(c, p, context.gracePeriod));
    if (c.restartPolicy !== undefined) {
      errs.push(forbidden(p.child("restartPolicy"), "may not be set for non-init containers"));
    }
  });
  errs.push(...checkHostPortConflicts(containers, path));
  return errs;
}

/** `validateInitContainers`. */
export function validateInitContainers(
  containers: readonly Container[] | undefined,
  options: ContainerListOptions & { readonly regular: readonly Container[] | undefined },
): FieldError[] {
  const { path, context } = options;
  const errs: FieldError[] = [];
  const names = new Set((options.regular ?? []).map((c) => c.name));
  (containers ?? []).forEach((c, i) => {
    const p = path.index(i);
    errs.push(...validateContainerCommon(c, p, context));
    let restartAlways = false;
    if (c.restartPolicy !== undefined) {
      if (c.restartPolicy !== "Always") {
        errs.push(
          notSupported(p.child("restartPolicy"), { value: c.restartPolicy, supported: ["Always"] }),
        );
      }
      restartAlways = c.restartPolicy === "Always";
    }
    if (names.has(c.name)) errs.push(duplicate(p.child("name"), c.name));
    else if (c.name) names.add(c.name);
    errs.push(...checkHostPortConflicts([c], path));
    if (restartAlways) {
      errs.push(...validateProbesAndLifecycle(c, p, context.gracePeriod));
    } else {
      const detail = "may not be set for init containers without restartPolicy=Always";
      if (c.lifecycle) errs.push(forbidden(p.child("lifecycle"), detail));
      if (c.livenessProbe) errs.push(forbidden(p.child("livenessProbe"), detail));
      if (c.readinessProbe) errs.push(forbidden(p.child("readinessProbe"), detail));
      if (c.startupProbe) errs.push(forbidden(p.child("startupProbe"), detail));
    }
    if ((c.resizePolicy ?? []).length > 0) {
      errs.push(invalid(p.child("resizePolicy"), {
        value: c.resizePolicy,
        detail: "must not be set for init containers",
      }));
    }
  });
  return errs;
}

/** Fields of an ephemeral container that must be unset. */
const EPHEMERAL_FORBIDDEN = [
  "ports",
  "resources",
  "resizePolicy",
  "restartPolicy",
  "livenessProbe",
  "readinessProbe",
  "startupProbe",
  "lifecycle",
] as const;

function isZeroValue(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.values(v).every(isZeroValue);
  return v === "" || v === 0 || v === false;
}

/** `validateEphemeralContainers`. */
export function validateEphemeralContainers(
  ephemeral: readonly EphemeralContainer[] | undefined,
  options: ContainerListOptions & {
    readonly regular: readonly Container[] | undefined;
    readonly init: readonly Container[] | undefined;
  },
): FieldError[] {
  const { path, context } = options;
  const errs: FieldError[] = [];
  if (!ephemeral || ephemeral.length === 0) return errs;
  const others = new Set([...(options.regular ?? []), ...(options.init ?? [])].map((c) => c.name));
  const all = new Set(others);
  ephemeral.forEach((ec, i) => {
    const p = path.index(i);
    errs.push(...validateContainerCommon(ec, p, context));
    if (ec.image && ec.image !== ec.image.trim()) {
      errs.push(invalid(p.child("image"), {
        value: ec.image,
        detail: "must not have leading or trailing whitespace",
      }));
    }
    if (all.has(ec.name)) errs.push(duplicate(p.child("name"), ec.name));
    else all.add(ec.name);
    if (ec.targetContainerName && !others.has(ec.targetContainerName)) {
      errs.push(notFound(p.child("targetContainerName"), ec.targetContainerName));
    }
    for (const f of EPHEMERAL_FORBIDDEN) {
      if (!isZeroValue(ec[f])) {
        errs.push(forbidden(p.child(f), "cannot be set for an Ephemeral Container"));
      }
    }
    (ec.volumeMounts ?? []).forEach((vm, j) => {
      const mp = p.child("volumeMounts").index(j);
      if (vm.subPath) {
        errs.push(forbidden(mp.child("subPath"), "cannot be set for an Ephemeral Container"));
      }
      if (vm.subPathExpr) {
        errs.push(forbidden(mp.child("subPathExpr"), "cannot be set for an Ephemeral Container"));
      }
    });
  });
  return errs;
}

/** Pod-only container checks (`validateContainerOnlyForPod`): no padding around the image. */
export function validateContainersOnlyForPod(
  containers: readonly Container[] | undefined,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  (containers ?? []).forEach((c, i) => {
    if (c.image !== undefined && c.image !== c.image.trim()) {
      errs.push(invalid(path.index(i).child("image"), {
        value: c.image,
        detail: "must not have leading or trailing whitespace",
      }));
    }
  });
  return errs;
}
