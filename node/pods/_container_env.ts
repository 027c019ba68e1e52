/**
 * A container's environment as the kubelet builds it (upstream's `makeEnvironmentVariables`):
 * `envFrom` ConfigMaps and Secrets (with prefixes; every key is taken, as since upstream's
 * relaxed variable-name validation, unless the older skipping of non-names is asked for), then `env` in order (values expanded against the variables before them, or taken
 * from a ConfigMap or Secret key, a pod field or a container resource), then service variables
 * not already set.
 *
 * @module
 */
import type { Container, Pod } from "../../control/api/types/core_v1_pod.ts";
import type { ConfigMap, Secret } from "../../control/api/types/core_v1_config.ts";
import type { ConfigMapGetter, SecretGetter } from "../volumes/volume_manager.ts";
import {
  extractContainerResourceValue,
  extractFieldPathAsString,
  withNodeAllocatableLimits,
} from "../volumes/downward_api.ts";
import { decodeBase64 } from "../volumes/key_projection.ts";
import type { NodeResourceList } from "../status/node_resources.ts";
import { expand, mappingFor } from "./_env_expansion.ts";

/** A warning event about the pod (type `Warning`). */
export interface EnvEvent {
  readonly reason: string;
  readonly message: string;
}

/** What {@linkcode makeEnvironment} reads. */
export interface EnvContext {
  readonly pod: Pod;
  readonly container: Container;
  readonly configMaps: ConfigMapGetter;
  readonly secrets: SecretGetter;
  readonly nodeAllocatable: Readonly<NodeResourceList>;
  /** The pod's IPs (ordered here by the node's primary family). */
  readonly podIps: readonly string[];
  /** The node's IPs, primary family first. */
  readonly hostIps: readonly string[];
  /** Service link variables (`<SVC>_SERVICE_HOST`…); added after the container's own. */
  readonly serviceEnv?: ReadonlyMap<string, string>;
  readonly recordEvent?: (event: EnvEvent) => void;
  /**
   * Skip envFrom keys that are not C-style variable names (`[-._a-zA-Z][-._a-zA-Z0-9]*`) with an
   * `InvalidEnvironmentVariableNames` warning, as kubelets before relaxed validation did.
   * @default {false}
   */
  readonly skipInvalidEnvFromKeys?: boolean;
}

const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** The ConfigMap, rejecting with the API's not-found text when missing. */
async function fetchConfigMap(
  ctx: EnvContext,
  cache: Map<string, ConfigMap | undefined>,
  name: string,
): Promise<ConfigMap | undefined> {
  if (!cache.has(name)) {
    cache.set(name, await ctx.configMaps.getConfigMap(ctx.pod.metadata?.namespace ?? "", name));
  }
  return cache.get(name);
}

async function fetchSecret(
  ctx: EnvContext,
  cache: Map<string, Secret | undefined>,
  name: string,
): Promise<Secret | undefined> {
  if (!cache.has(name)) {
    cache.set(name, await ctx.secrets.getSecret(ctx.pod.metadata?.namespace ?? "", name));
  }
  return cache.get(name);
}

function secretValue(text: string): string {
  return new TextDecoder().decode(decodeBase64(text));
}

/**
 * At most one pod IP of each family, the node's primary family (its first IP's; IPv4 when
 * unknown) first, as the kubelet orders them for env vars.
 */
export function sortPodIps(podIps: readonly string[], hostIps: readonly string[]): string[] {
  const primaryIsV6 = hostIps[0]?.includes(":") ?? false;
  const isV6 = (ip: string) => ip.includes(":");
  const primary = podIps.find((ip) => isV6(ip) === primaryIsV6);
  const secondary = podIps.find((ip) => isV6(ip) !== primaryIsV6);
  return [primary, secondary].filter((ip): ip is string => ip !== undefined);
}

/** A pod field for an env var (`fieldRef`), with the fields only env vars support. */
export function podFieldValue(
  fieldPath: string,
  ctx: Pick<EnvContext, "pod" | "podIps" | "hostIps">,
): string {
  const spec = ctx.pod.spec;
  const podIps = sortPodIps(ctx.podIps, ctx.hostIps);
  switch (fieldPath) {
    case "spec.nodeName":
      return spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return spec?.serviceAccountName ?? "";
    case "status.hostIP":
      if (ctx.hostIps.length === 0) throw new Error("host IP unknown; known addresses: []");
      return ctx.hostIps[0] ?? "";
    case "status.hostIPs":
      if (ctx.hostIps.length === 0) throw new Error("host IP unknown; known addresses: []");
      return ctx.hostIps.join(",");
    case "status.podIP":
      return podIps[0] ?? "";
    case "status.podIPs":
      return podIps.join(",");
  }
  return extractFieldPathAsString(ctx.pod, fieldPath);
}

function resourceValue(
  ctx: EnvContext,
  selector: Parameters<typeof extractContainerResourceValue>[0],
): string {
  let container = ctx.container;
  const name = selector.containerName ?? "";
  if (name !== "") {
    const found = ctx.pod.spec?.containers?.find((c) => c.name === name) ??
      ctx.pod.spec?.initContainers?.find((c) => c.name === name);
    if (!found) throw new Error(`container ${name} not found`);
    container = found;
  }
  return extractContainerResourceValue(
    selector,
    withNodeAllocatableLimits(container, ctx.nodeAllocatable),
  );
}

function warnInvalid(ctx: EnvContext, invalid: string[], kind: string, name: string): void {
  if (invalid.length === 0) return;
  invalid.sort();
  ctx.recordEvent?.({
    reason: "InvalidEnvironmentVariableNames",
    message: `Keys [${invalid.join(", ")}] from the EnvFrom ${kind} ${
      ctx.pod.metadata?.namespace ?? ""
    }/${name} were skipped since they are considered invalid environment variable names.`,
  });
}

/**
 * The container's variables in the order they are first set. Rejects with upstream's text when
 * a required ConfigMap, Secret or key is missing or a field cannot be resolved.
 */
export async function makeEnvironment(ctx: EnvContext): Promise<Map<string, string>> {
  const env = new Map<string, string>();
  const configMaps = new Map<string, ConfigMap | undefined>();
  const secrets = new Map<string, Secret | undefined>();
  const namespace = ctx.pod.metadata?.namespace ?? "";
  const prefixed = (prefix: string | undefined, k: string) => (prefix ?? "") + k;

  for (const from of ctx.container.envFrom ?? []) {
    if (from.configMapRef) {
      const name = from.configMapRef.name ?? "";
      const cm = await fetchConfigMap(ctx, configMaps, name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new Error(`configmap ${JSON.stringify(name)} not found`);
      }
      const invalid: string[] = [];
      for (const [key, value] of Object.entries(cm.data ?? {})) {
        const k = prefixed(from.prefix, key);
        if (ctx.skipInvalidEnvFromKeys && !ENV_VAR_NAME.test(k)) invalid.push(k);
        else env.set(k, value);
      }
      warnInvalid(ctx, invalid, "configMap", name);
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? "";
      const secret = await fetchSecret(ctx, secrets, name);
      if (!secret) {
        if (from.secretRef.optional) continue;
        throw new Error(`secret ${JSON.stringify(name)} not found`);
      }
      const invalid: string[] = [];
      for (const [key, value] of Object.entries(secret.data ?? {})) {
        const k = prefixed(from.prefix, key);
        if (ctx.skipInvalidEnvFromKeys && !ENV_VAR_NAME.test(k)) invalid.push(k);
        else env.set(k, secretValue(value));
      }
      warnInvalid(ctx, invalid, "secret", name);
    }
  }

  const services = ctx.serviceEnv ?? new Map<string, string>();
  const mapping = mappingFor(env, services);
  for (const v of ctx.container.env ?? []) {
    let value = v.value ?? "";
    const from = v.valueFrom;
    if (value !== "") {
      value = expand(value, mapping);
    } else if (from) {
      if (from.fieldRef) {
        value = podFieldValue(from.fieldRef.fieldPath, ctx);
      } else if (from.resourceFieldRef) {
        value = resourceValue(ctx, from.resourceFieldRef);
      } else if (from.configMapKeyRef) {
        const { key, optional } = from.configMapKeyRef;
        const name = from.configMapKeyRef.name ?? "";
        const cm = await fetchConfigMap(ctx, configMaps, name);
        if (!cm) {
          if (optional) continue;
          throw new Error(`configmap ${JSON.stringify(name)} not found`);
        }
        const found = cm.data?.[key];
        if (found === undefined || !Object.hasOwn(cm.data ?? {}, key)) {
          if (optional) continue;
          throw new Error(`couldn't find key ${key} in ConfigMap ${namespace}/${name}`);
        }
        value = found;
      } else if (from.secretKeyRef) {
        const { key, optional } = from.secretKeyRef;
        const name = from.secretKeyRef.name ?? "";
        const secret = await fetchSecret(ctx, secrets, name);
        if (!secret) {
          if (optional) continue;
          throw new Error(`secret ${JSON.stringify(name)} not found`);
        }
        const found = secret.data?.[key];
        if (found === undefined || !Object.hasOwn(secret.data ?? {}, key)) {
          if (optional) continue;
          throw new Error(`couldn't find key ${key} in Secret ${namespace}/${name}`);
        }
        value = secretValue(found);
      }
    }
    env.set(v.name, value);
  }

  for (const [k, v] of services) if (!env.has(k)) env.set(k, v);
  return env;
}
