/**
 * The Endpoints strategy (upstream `ValidateEndpoints`): every subset has addresses, addresses
 * are valid, non-special IPs with DNS-label hostnames, and ports are named when there are
 * several. A PUT to a missing Endpoints object creates it.
 *
 * @module
 */
import type { EndpointAddress, EndpointPort, Endpoints } from "../types/core_v1_service.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  type FieldError,
  FieldPath,
  invalid,
  invalidEach,
  required,
} from "../validation/field_errors.ts";
import { validateIP, validateNonSpecialIP } from "../validation/ip.ts";
import {
  isDns1123Subdomain,
  validateDns1123Label,
  validateQualifiedName,
} from "../validation/names.ts";
import { isValidPortNum } from "../validation/ports.ts";
import type { Strategy } from "./strategy.ts";

function validateAddress(address: EndpointAddress, path: FieldPath): FieldError[] {
  const ipPath = path.child("ip");
  const errs = validateIP(address.ip, ipPath);
  if (address.hostname) {
    errs.push(...validateDns1123Label(address.hostname, path.child("hostname")));
  }
  if (address.nodeName !== undefined) {
    errs.push(...invalidEach(path.child("nodeName"), {
      value: address.nodeName,
      messages: isDns1123Subdomain(address.nodeName),
    }));
  }
  errs.push(...validateNonSpecialIP(address.ip, ipPath));
  return errs;
}

function validatePort(
  port: EndpointPort,
  options: { readonly requireName: boolean; readonly path: FieldPath },
): FieldError[] {
  const { path } = options;
  const errs: FieldError[] = [];
  if (options.requireName && !port.name) errs.push(required(path.child("name")));
  else if (port.name) errs.push(...validateDns1123Label(port.name, path.child("name")));
  for (const detail of isValidPortNum(port.port)) {
    errs.push(invalid(path.child("port"), { value: port.port, detail }));
  }
  if (port.appProtocol !== undefined) {
    errs.push(...validateQualifiedName(port.appProtocol, path.child("appProtocol")));
  }
  return errs;
}

/** The strategy of `endpoints`. */
export const endpointsStrategy: Strategy = {
  validate(obj: KubeObject): FieldError[] {
    const ep = obj as Endpoints;
    const errs: FieldError[] = [];
    const subsetsPath = new FieldPath("subsets");
    (ep.subsets ?? []).forEach((ss, i) => {
      const p = subsetsPath.index(i);
      const addresses = ss.addresses ?? [];
      const notReady = ss.notReadyAddresses ?? [];
      if (addresses.length === 0 && notReady.length === 0) {
        errs.push(required(p, "must specify `addresses` or `notReadyAddresses`"));
      }
      addresses.forEach((a, j) => errs.push(...validateAddress(a, p.child("addresses").index(j))));
      notReady.forEach((a, j) => {
        errs.push(...validateAddress(a, p.child("notReadyAddresses").index(j)));
      });
      const ports = ss.ports ?? [];
      ports.forEach((port, j) => {
        errs.push(
          ...validatePort(port, { requireName: ports.length > 1, path: p.child("ports").index(j) }),
        );
      });
    });
    return errs;
  },
};
