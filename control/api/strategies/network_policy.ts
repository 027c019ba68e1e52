/**
 * The strategy of `networking.k8s.io/v1` NetworkPolicy: upstream `SetDefaults_NetworkPolicy`
 * and `ValidateNetworkPolicy`.
 *
 * @module
 */
import type { KubeObject } from "../types/meta_v1.ts";
import type {
  IPBlock,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
} from "../types/networking_v1.ts";
import { FieldError, FieldPath, forbidden, invalid, required } from "../validation/field_errors.ts";
import { goStringSlice, invalidGo } from "../validation/go_format.ts";
import { cidrContains, cidrWarnings, parseCIDRSloppy, validateCIDR } from "../validation/ip.ts";
import { isValidPortName, isValidPortNum } from "../validation/ports.ts";
import { validateLabelSelector } from "../validation/selector_validation.ts";
import type { Strategy } from "./strategy.ts";

/** Errors in one port of a rule (`ValidateNetworkPolicyPort`, beyond the schema). */
export function validateNetworkPolicyPort(port: NetworkPolicyPort, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const endPath = path.child("endPort");
  if (port.port === undefined) {
    if (port.endPort !== undefined) {
      errs.push(invalid(endPath, {
        value: port.endPort,
        detail: "may not be specified when `port` is not specified",
      }));
    }
  } else if (typeof port.port === "number") {
    for (const detail of isValidPortNum(port.port)) {
      errs.push(invalid(path.child("port"), { value: port.port, detail }));
    }
    if (port.endPort !== undefined) {
      if (port.endPort < port.port) {
        errs.push(invalid(endPath, {
          value: port.endPort,
          detail: "must be greater than or equal to `port`",
        }));
      }
      for (const detail of isValidPortNum(port.endPort)) {
        errs.push(invalid(endPath, { value: port.endPort, detail }));
      }
    }
  } else {
    if (port.endPort !== undefined) {
      errs.push(invalid(endPath, {
        value: port.endPort,
        detail: "may not be specified when `port` is non-numeric",
      }));
    }
    for (const detail of isValidPortName(port.port)) {
      errs.push(invalid(path.child("port"), { value: port.port, detail }));
    }
  }
  return errs;
}

/** Errors in an IP block (`ValidateIPBlock`, as 1.33 runs it). */
export function validateIPBlock(block: IPBlock, path: FieldPath): FieldError[] {
  if (!block.cidr) return [required(path.child("cidr"))];
  const errs = validateCIDR(block.cidr, path.child("cidr"));
  const cidr = parseCIDRSloppy(block.cidr);
  if (cidr === null) return errs;
  (block.except ?? []).forEach((text, i) => {
    const p = path.child("except").index(i);
    errs.push(...validateCIDR(text, p));
    const except = parseCIDRSloppy(text);
    if (except === null) return;
    if (!cidrContains(cidr, except.network) || cidr.ones >= except.ones) {
      errs.push(invalid(p, { value: text, detail: "must be a strict subset of `cidr`" }));
    }
  });
  return errs;
}

function validatePeer(peer: NetworkPolicyPeer, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let peers = 0;
  if (peer.podSelector !== undefined) {
    peers++;
    errs.push(...validateLabelSelector(peer.podSelector, { path: path.child("podSelector") }));
  }
  if (peer.namespaceSelector !== undefined) {
    peers++;
    errs.push(
      ...validateLabelSelector(peer.namespaceSelector, { path: path.child("namespaceSelector") }),
    );
  }
  if (peer.ipBlock !== undefined) {
    peers++;
    errs.push(...validateIPBlock(peer.ipBlock, path.child("ipBlock")));
  }
  if (peers === 0) errs.push(required(path, "must specify a peer"));
  else if (peers > 1 && peer.ipBlock !== undefined) {
    errs.push(forbidden(path, "may not specify both ipBlock and another peer"));
  }
  return errs;
}

/** Errors in a NetworkPolicy (`ValidateNetworkPolicySpec`, beyond the schema). */
export function validateNetworkPolicy(policy: NetworkPolicy): FieldError[] {
  const spec = policy.spec ?? {};
  const path = new FieldPath("spec");
  const errs = validateLabelSelector(spec.podSelector, { path: path.child("podSelector") });
  (spec.ingress ?? []).forEach((rule, i) => {
    const p = path.child("ingress").index(i);
    (rule.ports ?? []).forEach((port, j) => {
      errs.push(...validateNetworkPolicyPort(port, p.child("ports").index(j)));
    });
    (rule.from ?? []).forEach((peer, j) =>
      errs.push(...validatePeer(peer, p.child("from").index(j)))
    );
  });
  (spec.egress ?? []).forEach((rule, i) => {
    const p = path.child("egress").index(i);
    (rule.ports ?? []).forEach((port, j) => {
      errs.push(...validateNetworkPolicyPort(port, p.child("ports").index(j)));
    });
    (rule.to ?? []).forEach((peer, j) => errs.push(...validatePeer(peer, p.child("to").index(j))));
  });
  if ((spec.policyTypes ?? []).length > 2) {
    errs.push(invalidGo(path.child("policyTypes"), {
      text: goStringSlice("networking.PolicyType", spec.policyTypes),
      detail: "may not specify more than two policyTypes",
    }));
  }
  return errs;
}

function peerBlocks(policy: NetworkPolicy): [IPBlock, FieldPath][] {
  const out: [IPBlock, FieldPath][] = [];
  const spec = new FieldPath("spec");
  (policy.spec?.ingress ?? []).forEach((rule, i) => {
    (rule.from ?? []).forEach((peer, j) => {
      if (peer.ipBlock) {
        out.push([
          peer.ipBlock,
          spec.child("ingress").index(i).child("from").index(j).child("ipBlock"),
        ]);
      }
    });
  });
  (policy.spec?.egress ?? []).forEach((rule, i) => {
    (rule.to ?? []).forEach((peer, j) => {
      if (peer.ipBlock) {
        out.push([
          peer.ipBlock,
          spec.child("egress").index(i).child("to").index(j).child("ipBlock"),
        ]);
      }
    });
  });
  return out;
}

/** The NetworkPolicy strategy. */
export const networkPolicyStrategy: Strategy = {
  nameRule: "subdomain",
  default(obj: KubeObject): void {
    const policy = obj as NetworkPolicy;
    policy.spec ??= {};
    policy.spec.podSelector ??= {};
    if ((policy.spec.policyTypes ?? []).length === 0) {
      policy.spec.policyTypes = (policy.spec.egress ?? []).length > 0
        ? ["Ingress", "Egress"]
        : ["Ingress"];
    }
  },
  validate(obj: KubeObject): FieldError[] {
    return validateNetworkPolicy(obj as NetworkPolicy);
  },
  warnings(obj: KubeObject): string[] {
    const out: string[] = [];
    for (const [block, path] of peerBlocks(obj as NetworkPolicy)) {
      out.push(...cidrWarnings(path.child("cidr"), block.cidr));
      (block.except ?? []).forEach((e, i) =>
        out.push(...cidrWarnings(path.child("except").index(i), e))
      );
    }
    return out;
  },
};
