/**
 * The downward API as volume files: pod fields (`metadata.name`, `namespace`, `uid`, `labels`,
 * `annotations`, one label or annotation by subscript) and container resources
 * (`limits.cpu`, `requests.memory`… with a divisor), formatted as the kubelet writes them:
 * maps as sorted `key="value"` lines with Go-quoted values, resources as whole numbers rounded
 * up, unset limits taken from the node's allocatable resources.
 *
 * @example Render a pod's labels file
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatMap } from "./downward_api.ts";
 *
 * assert.equal(formatMap({ tier: "web", app: 'say "hi"' }), 'app="say \\"hi\\""\ntier="web"');
 * ```
 *
 * @module
 */
import type { Container, DownwardAPIVolumeFile, Pod } from "../../control/api/types/core_v1_pod.ts";
import type { ResourceFieldSelector } from "../../control/api/types/core_v1_common.ts";
import { Quantity } from "../../control/api/types/quantity.ts";
import { cleanPayloadPath, type FileProjection, type Payload } from "./atomic_writer.ts";
import { goQuote } from "./_go_quote.ts";
import type { NodeResourceList } from "../status/node_resources.ts";
import { aggregateError } from "./_aggregate.ts";

/** The mode of volume files nobody set one for (upstream's `*VolumeSourceDefaultMode`). */
export const DEFAULT_VOLUME_FILE_MODE = 0o644;

/** `key="value"` lines sorted by key, values quoted as Go's `%q` (upstream's `FormatMap`). */
export function formatMap(map: Readonly<Record<string, string>> | undefined): string {
  if (!map) return "";
  return Object.keys(map).sort(compareStrings).map((k) => `${k}=${goQuote(map[k] ?? "")}`).join(
    "\n",
  );
}

/** Byte-wise order, as Go sorts strings (UTF-16 order differs above the BMP). */
function compareStrings(a: string, b: string): number {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) {
    const d = (ea[i] ?? 0) - (eb[i] ?? 0);
    if (d !== 0) return d;
  }
  return ea.length - eb.length;
}

/** `metadata.labels['key']` → `["metadata.labels", "key"]`; undefined without a subscript. */
function splitSubscript(fieldPath: string): [string, string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const s = fieldPath.slice(0, -2);
  const open = s.indexOf("['");
  if (open <= 0) return undefined;
  return [s.slice(0, open), s.slice(open + 2)];
}

/**
 * The value of a pod field for a downward API file, or an `Error` with upstream's text for a
 * field volumes do not support. (The API server already validated label and annotation
 * subscripts, so they are not checked again.)
 */
export function extractFieldPathAsString(pod: Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const sub = splitSubscript(fieldPath);
  if (sub) {
    const [path, key] = sub;
    if (path === "metadata.annotations") return meta.annotations?.[key] ?? "";
    if (path === "metadata.labels") return meta.labels?.[key] ?? "";
    throw new Error(`fieldPath ${goQuote(fieldPath)} does not support subscript`);
  }
  switch (fieldPath) {
    case "metadata.annotations":
      return formatMap(meta.annotations);
    case "metadata.labels":
      return formatMap(meta.labels);
    case "metadata.name":
      return meta.name ?? "";
    case "metadata.namespace":
      return meta.namespace ?? "";
    case "metadata.uid":
      return meta.uid ?? "";
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

function quantityOf(list: Readonly<Record<string, string>> | undefined, name: string): Quantity {
  const text = list?.[name];
  return text === undefined ? new Quantity(0n) : Quantity.parse(text);
}

function ceilDiv(value: bigint, divisor: bigint): string {
  // Upstream divides as float64 and rounds up.
  const q = Math.ceil(Number(value) / Number(divisor));
  return Number.isFinite(q) ? BigInt(q).toString() : String(q);
}

/**
 * A container's resource for a `resourceFieldRef` (`limits.cpu`, `requests.memory`,
 * `limits.ephemeral-storage`, `requests.hugepages-2Mi`…), divided by the divisor (default 1)
 * and rounded up; CPU counts in millicores before dividing.
 */
export function extractContainerResourceValue(
  selector: ResourceFieldSelector,
  container: Container,
): string {
  const divisorText = selector.divisor;
  let divisor = divisorText === undefined ? new Quantity(0n) : Quantity.parse(divisorText);
  if (divisor.isZero()) divisor = new Quantity(1n);
  const resources = container.resources ?? {};
  const dot = selector.resource.indexOf(".");
  const kind = selector.resource.slice(0, dot);
  const name = selector.resource.slice(dot + 1);
  const list = kind === "limits" ? resources.limits : kind === "requests" ? resources.requests : {};
  if (dot > 0 && (kind === "limits" || kind === "requests")) {
    if (name === "cpu") return ceilDiv(quantityOf(list, "cpu").milliValue(), divisor.milliValue());
    if (name === "memory" || name === "ephemeral-storage" || name.startsWith("hugepages-")) {
      return ceilDiv(quantityOf(list, name).value(), divisor.value());
    }
  }
  throw new Error(`unsupported container resource : ${selector.resource}`);
}

/** The container with unset CPU, memory and ephemeral-storage limits set to the node's allocatable. */
export function withNodeAllocatableLimits(
  container: Container,
  nodeAllocatable: Readonly<NodeResourceList>,
): Container {
  const limits: Record<string, string> = { ...container.resources?.limits };
  for (const name of ["cpu", "memory", "ephemeral-storage"]) {
    const allocatable = nodeAllocatable[name];
    if (limits[name] === undefined && allocatable !== undefined) limits[name] = allocatable;
  }
  return { ...container, resources: { ...container.resources, limits } };
}

/** What {@linkcode downwardApiPayload} reads. */
export interface DownwardApiContext {
  readonly pod: Pod;
  /** The volume's `defaultMode`. @default {0o644} */
  readonly defaultMode?: number;
  /** The node's allocatable resources: the limits of containers that set none. */
  readonly nodeAllocatable: Readonly<NodeResourceList>;
}

function findContainer(pod: Pod, name: string): Container {
  const found = pod.spec?.containers?.find((c) => c.name === name) ??
    pod.spec?.initContainers?.find((c) => c.name === name);
  if (!found) throw new Error(`container ${name} not found`);
  return found;
}

/**
 * The files of a downwardAPI volume (or projection). Throws an `Error` aggregating every item
 * that failed, in upstream's format.
 */
export function downwardApiPayload(
  items: readonly DownwardAPIVolumeFile[],
  context: DownwardApiContext,
): Payload {
  const payload = new Map<string, FileProjection>();
  const errors: Error[] = [];
  const encoder = new TextEncoder();
  for (const item of items) {
    const mode = item.mode ?? context.defaultMode ?? DEFAULT_VOLUME_FILE_MODE;
    let text = "";
    try {
      if (item.fieldRef) {
        text = extractFieldPathAsString(context.pod, item.fieldRef.fieldPath);
      } else if (item.resourceFieldRef) {
        const container = findContainer(context.pod, item.resourceFieldRef.containerName ?? "");
        text = extractContainerResourceValue(
          item.resourceFieldRef,
          withNodeAllocatableLimits(container, context.nodeAllocatable),
        );
      }
    } catch (err) {
      errors.push(err instanceof Error ? err : new Error(String(err)));
    }
    payload.set(cleanPayloadPath(item.path), { data: encoder.encode(text), mode });
  }
  if (errors.length > 0) throw aggregateError(errors);
  return payload;
}
