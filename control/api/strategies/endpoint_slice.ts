/**
 * The strategy of `discovery.k8s.io/v1` EndpointSlice: upstream `ValidateEndpointSlice` and the
 * registry's preparation (deprecatedTopology is not writable through v1, labels count towards
 * the generation).
 *
 * Upstream has no server-side rule about the `kubernetes.io/service-name` label beyond the
 * generic label checks: it is a convention between the EndpointSlice controller and its readers.
 *
 * @module
 */
import type { EndpointSlice } from "../types/discovery_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  duplicate,
  FieldError,
  FieldPath,
  invalid,
  required,
  tooMany,
} from "../validation/field_errors.ts";
import { validateImmutableField } from "../validation/immutable.ts";
import { ipWarnings, parseIPSloppy, to4, validateNonSpecialIP } from "../validation/ip.ts";
import { validateLabels } from "../validation/label_validation.ts";
import {
  isDns1123Subdomain,
  isFullyQualifiedDomainName,
  isValidLabelValue,
  validateDns1123Label,
  validateQualifiedName,
} from "../validation/names.ts";
import { semanticEqual } from "../validation/semantic_equal.ts";
import type { Strategy } from "./strategy.ts";

/** The most endpoints one slice may hold. */
export const MAX_ENDPOINTS = 1000;
/** The most addresses one endpoint may have. */
export const MAX_ADDRESSES = 100;
/** The most ports one slice may list. */
export const MAX_PORTS = 20000;
/** The most zone hints one endpoint may carry. */
export const MAX_ZONE_HINTS = 8;
const MAX_TOPOLOGY_LABELS = 16;
const ZONE_LABEL = "topology.kubernetes.io/zone";

/** Options of {@linkcode createEndpointSliceStrategy}. */
export interface EndpointSliceStrategyOptions {
  /**
   * The `PreferSameTrafficDistribution` feature gate: without it, `hints.forNodes` is dropped
   * unless the stored slice already uses it.
   *
   * @default {false}
   */
  readonly preferSameTrafficDistribution?: boolean;
}

function validateAddress(addressType: string, value: string, path: FieldPath): FieldError[] {
  switch (addressType) {
    case "IPv4": {
      const ip = parseIPSloppy(value);
      const errs = ip === null || to4(ip) === null
        ? [invalid(path, { value, detail: "must be a valid IPv4 address" })]
        : [];
      return [...errs, ...validateNonSpecialIP(value, path)];
    }
    case "IPv6": {
      const ip = parseIPSloppy(value);
      const errs = ip === null || to4(ip) !== null
        ? [invalid(path, { value, detail: "must be a valid IPv6 address" })]
        : [];
      return [...errs, ...validateNonSpecialIP(value, path)];
    }
    case "FQDN":
      return isFullyQualifiedDomainName(path, value);
    default:
      return [];
  }
}

/** Errors in an EndpointSlice (`ValidateEndpointSlice`, beyond metadata and the schema). */
export function validateEndpointSlice(slice: EndpointSlice): FieldError[] {
  const errs: FieldError[] = [];
  const endpoints = slice.endpoints ?? [];
  const epPath = new FieldPath("endpoints");
  if (endpoints.length > MAX_ENDPOINTS) {
    errs.push(tooMany(epPath, { actual: endpoints.length, max: MAX_ENDPOINTS }));
  } else {
    endpoints.forEach((ep, i) => {
      const p = epPath.index(i);
      const addrPath = p.child("addresses");
      const addresses = ep.addresses ?? [];
      if (addresses.length === 0) {
        errs.push(required(addrPath, "must contain at least 1 address"));
      } else if (addresses.length > MAX_ADDRESSES) {
        errs.push(tooMany(addrPath, { actual: addresses.length, max: MAX_ADDRESSES }));
      }
      addresses.forEach((a, j) =>
        errs.push(...validateAddress(slice.addressType, a, addrPath.index(j)))
      );
      if (ep.nodeName !== undefined) {
        for (const detail of isDns1123Subdomain(ep.nodeName)) {
          errs.push(invalid(p.child("nodeName"), { value: ep.nodeName, detail }));
        }
      }
      const topoPath = p.child("deprecatedTopology");
      const topology = ep.deprecatedTopology ?? {};
      if (Object.keys(topology).length > MAX_TOPOLOGY_LABELS) {
        errs.push(
          tooMany(topoPath, { actual: Object.keys(topology).length, max: MAX_TOPOLOGY_LABELS }),
        );
      }
      errs.push(...validateLabels(topology, topoPath));
      if (ZONE_LABEL in topology) {
        errs.push(
          new FieldError("internal", {
            field: topoPath.index(ZONE_LABEL),
            detail: "reserved key was not removed in conversion",
          }),
        );
      }
      if (ep.hostname !== undefined) {
        errs.push(...validateDns1123Label(ep.hostname, p.child("hostname")));
      }
      const zones = ep.hints?.forZones;
      if (zones !== undefined) {
        const zPath = p.child("hints").child("forZones");
        if (zones.length > MAX_ZONE_HINTS) {
          errs.push(tooMany(zPath, { actual: zones.length, max: MAX_ZONE_HINTS }));
        } else {
          const seen = new Set<string>();
          zones.forEach((z, k) => {
            const namePath = zPath.index(k).child("name");
            if (seen.has(z.name)) errs.push(duplicate(namePath, z.name));
            else seen.add(z.name);
            for (const detail of isValidLabelValue(z.name)) {
              errs.push(invalid(namePath, { value: z.name, detail }));
            }
          });
        }
      }
    });
  }
  const ports = slice.ports ?? [];
  const portPath = new FieldPath("ports");
  if (ports.length > MAX_PORTS) {
    errs.push(tooMany(portPath, { actual: ports.length, max: MAX_PORTS }));
    return errs;
  }
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = portPath.index(i);
    const name = port.name ?? "";
    if (name.length > 0) errs.push(...validateDns1123Label(name, p.child("name")));
    if (names.has(name)) errs.push(duplicate(p.child("name"), name));
    else names.add(name);
    if (port.protocol === undefined) errs.push(required(p.child("protocol")));
    if (port.appProtocol !== undefined) {
      errs.push(...validateQualifiedName(port.appProtocol, p.child("appProtocol")));
    }
  });
  return errs;
}

function dropDeprecatedTopology(slice: EndpointSlice): void {
  for (const ep of slice.endpoints ?? []) delete ep.deprecatedTopology;
}

function dropForNodes(slice: EndpointSlice): void {
  for (const ep of slice.endpoints ?? []) {
    if (ep.hints !== undefined) delete ep.hints.forNodes;
  }
}

function usesForNodes(slice: EndpointSlice): boolean {
  return (slice.endpoints ?? []).some((ep) => ep.hints?.forNodes !== undefined);
}

/** An EndpointSlice strategy for the given feature gates. */
export function createEndpointSliceStrategy(
  options: EndpointSliceStrategyOptions = {},
): Strategy {
  const forNodes = options.preferSameTrafficDistribution ?? false;
  return {
    nameRule: "subdomain",
    prepareForCreate(obj: KubeObject): void {
      const slice = obj as EndpointSlice;
      if (!forNodes) dropForNodes(slice);
      dropDeprecatedTopology(slice);
    },
    prepareForUpdate(obj: KubeObject, old: KubeObject): void {
      const slice = obj as EndpointSlice;
      const oldSlice = old as EndpointSlice;
      // Upstream bumps the generation on label changes too (the generic handler covers the
      // rest); set, not incremented, so the handler's own bump lands on the same value.
      if (!semanticEqual(slice.metadata?.labels, oldSlice.metadata?.labels)) {
        slice.metadata ??= {};
        slice.metadata.generation = (oldSlice.metadata?.generation ?? 0) + 1;
      }
      if (!forNodes && !usesForNodes(oldSlice)) dropForNodes(slice);
      if (!semanticEqual(slice.endpoints, oldSlice.endpoints)) dropDeprecatedTopology(slice);
    },
    validate(obj: KubeObject): FieldError[] {
      return validateEndpointSlice(obj as EndpointSlice);
    },
    validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
      return validateImmutableField((obj as EndpointSlice).addressType, {
        old: (old as EndpointSlice).addressType,
        path: new FieldPath("addressType"),
      });
    },
    warnings(obj: KubeObject): string[] {
      const slice = obj as EndpointSlice;
      if (slice.addressType !== "IPv4" && slice.addressType !== "IPv6") return [];
      const out: string[] = [];
      (slice.endpoints ?? []).forEach((ep, i) => {
        (ep.addresses ?? []).forEach((a, j) => {
          out.push(
            ...ipWarnings(new FieldPath("endpoints").index(i).child("addresses").index(j), a),
          );
        });
      });
      return out;
    },
  };
}

/** The EndpointSlice strategy with Kubernetes 1.33's default feature gates. */
export const endpointSliceStrategy: Strategy = createEndpointSliceStrategy();
