/**
 * The strategy of `networking.k8s.io/v1` Ingress: upstream `ValidateIngressCreate`,
 * `ValidateIngressStatusUpdate` and the registry's warning about the class annotation.
 *
 * Upstream relaxes two checks on update when the stored object already fails them (TLS secret
 * names, rules under wildcard hosts) and checks the class annotation against
 * `ingressClassName` only on create; skiff's {@linkcode Strategy} has one `validate` for both,
 * so these run on every write.
 *
 * @module
 */
import type { KubeObject } from "../types/meta_v1.ts";
import {
  ANNOTATION_INGRESS_CLASS,
  type HTTPIngressPath,
  type Ingress,
  type IngressBackend,
} from "../types/networking_v1.ts";
import { FieldError, FieldPath, invalid, required } from "../validation/field_errors.ts";
import { goStructSlice, invalidGo } from "../validation/go_format.ts";
import { parseIPSloppy, validateIP } from "../validation/ip.ts";
import {
  isDns1035Label,
  isDns1123Subdomain,
  isValidPathSegmentName,
  isWildcardDns1123Subdomain,
} from "../validation/names.ts";
import { isValidPortName, isValidPortNum } from "../validation/ports.ts";
import type { Strategy } from "./strategy.ts";

const INVALID_PATH_SEQUENCES = ["//", "/./", "/../", "%2f", "%2F"];
const INVALID_PATH_SUFFIXES = ["/..", "/."];

function invalidEach(path: FieldPath, value: string, details: string[]): FieldError[] {
  return details.map((detail) => invalid(path, { value, detail }));
}

/** Errors in a backend (`validateIngressBackend`). */
export function validateIngressBackend(backend: IngressBackend, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (backend.resource !== undefined && backend.service !== undefined) {
    return [invalid(path, { value: "", detail: "cannot set both resource and service backends" })];
  }
  if (backend.resource !== undefined) {
    const r = backend.resource;
    const p = path.child("resource");
    if (r.apiGroup !== undefined) {
      errs.push(...invalidEach(p.child("apiGroup"), r.apiGroup, isDns1123Subdomain(r.apiGroup)));
    }
    if (!r.kind) errs.push(required(p.child("kind")));
    else errs.push(...invalidEach(p.child("kind"), r.kind, isValidPathSegmentName(r.kind)));
    if (!r.name) errs.push(required(p.child("name")));
    else errs.push(...invalidEach(p.child("name"), r.name, isValidPathSegmentName(r.name)));
    return errs;
  }
  if (backend.service !== undefined) {
    const s = backend.service;
    const p = path.child("service");
    if (!s.name) errs.push(required(p.child("name")));
    else errs.push(...invalidEach(p.child("name"), s.name, isDns1035Label(s.name)));
    const name = s.port?.name ?? "";
    const num = s.port?.number ?? 0;
    if (name.length > 0 && num !== 0) {
      errs.push(invalid(path, { value: "", detail: "cannot set both port name & port number" }));
    } else if (name.length > 0) {
      errs.push(...invalidEach(p.child("port").child("name"), name, isValidPortName(name)));
    } else if (num !== 0) {
      for (const detail of isValidPortNum(num)) {
        errs.push(invalid(p.child("port").child("number"), { value: num, detail }));
      }
    } else {
      errs.push(required(path, "port name or number is required"));
    }
    return errs;
  }
  return [invalid(path, { value: "", detail: "resource or service backend is required" })];
}

function validatePath(p: HTTPIngressPath, path: FieldPath): FieldError[] {
  if (p.pathType === undefined) {
    return [required(path.child("pathType"), "pathType must be specified")];
  }
  const errs: FieldError[] = [];
  const value = p.path ?? "";
  const pathPath = path.child("path");
  if (p.pathType === "Exact" || p.pathType === "Prefix") {
    if (!value.startsWith("/")) {
      errs.push(invalid(pathPath, { value, detail: "must be an absolute path" }));
    }
    if (value.length > 0) {
      for (const seq of INVALID_PATH_SEQUENCES) {
        if (value.includes(seq)) {
          errs.push(invalid(pathPath, { value, detail: `must not contain '${seq}'` }));
        }
      }
      for (const suffix of INVALID_PATH_SUFFIXES) {
        if (value.endsWith(suffix)) {
          errs.push(invalid(pathPath, { value, detail: `cannot end with '${suffix}'` }));
        }
      }
    }
  } else if (p.pathType === "ImplementationSpecific") {
    if (value.length > 0 && !value.startsWith("/")) {
      errs.push(invalid(pathPath, { value, detail: "must be an absolute path" }));
    }
  }
  if (p.backend !== undefined) {
    errs.push(...validateIngressBackend(p.backend, path.child("backend")));
  }
  return errs;
}

/** Errors in an Ingress's spec and class annotation (`ValidateIngressCreate`, beyond the schema). */
export function validateIngress(ingress: Ingress): FieldError[] {
  const spec = ingress.spec ?? {};
  const path = new FieldPath("spec");
  const errs: FieldError[] = [];
  const rules = spec.rules;
  if ((rules ?? []).length === 0 && spec.defaultBackend === undefined) {
    errs.push(invalidGo(path, {
      text: goStructSlice("networking.IngressRule", rules),
      detail: "either `defaultBackend` or `rules` must be specified",
    }));
  }
  if (spec.defaultBackend !== undefined) {
    errs.push(...validateIngressBackend(spec.defaultBackend, path.child("defaultBackend")));
  }
  (rules ?? []).forEach((rule, i) => {
    const p = path.child("rules").index(i);
    const host = rule.host ?? "";
    if (host.length > 0) {
      if (parseIPSloppy(host) !== null) {
        errs.push(
          invalid(p.child("host"), {
            value: host,
            detail: "must be a DNS name, not an IP address",
          }),
        );
      }
      const details = host.includes("*")
        ? isWildcardDns1123Subdomain(host)
        : isDns1123Subdomain(host);
      errs.push(...invalidEach(p.child("host"), host, details));
    }
    if (rule.http !== undefined) {
      const hp = p.child("http");
      if ((rule.http.paths ?? []).length === 0) errs.push(required(hp.child("paths")));
      (rule.http.paths ?? []).forEach((hpath, j) => {
        errs.push(...validatePath(hpath, hp.child("paths").index(j)));
      });
    }
  });
  (spec.tls ?? []).forEach((tls, i) => {
    const p = path.child("tls").index(i);
    (tls.hosts ?? []).forEach((host, j) => {
      const details = host.includes("*")
        ? isWildcardDns1123Subdomain(host)
        : isDns1123Subdomain(host);
      errs.push(...invalidEach(p.child("hosts").index(j), host, details));
    });
    if (tls.secretName) {
      errs.push(
        ...invalidEach(p.child("secretName"), tls.secretName, isDns1123Subdomain(tls.secretName)),
      );
    }
  });
  if (spec.ingressClassName !== undefined) {
    errs.push(
      ...invalidEach(
        path.child("ingressClassName"),
        spec.ingressClassName,
        isDns1123Subdomain(spec.ingressClassName),
      ),
    );
  }
  const annotation = ingress.metadata?.annotations?.[ANNOTATION_INGRESS_CLASS];
  if (
    annotation !== undefined && spec.ingressClassName !== undefined &&
    annotation !== spec.ingressClassName
  ) {
    errs.push(invalid(new FieldPath("annotations").child(ANNOTATION_INGRESS_CLASS), {
      value: annotation,
      detail: "must match `ingressClassName` when both are specified",
    }));
  }
  return errs;
}

/** Errors in an Ingress's status (`ValidateIngressLoadBalancerStatus`, as 1.33 runs it). */
export function validateIngressStatus(ingress: Ingress): FieldError[] {
  const errs: FieldError[] = [];
  const path = new FieldPath("status").child("loadBalancer").child("ingress");
  (ingress.status?.loadBalancer?.ingress ?? []).forEach((lb, i) => {
    const p = path.index(i);
    if (lb.ip) errs.push(...validateIP(lb.ip, p.child("ip")));
    if (lb.hostname) {
      errs.push(...invalidEach(p.child("hostname"), lb.hostname, isDns1123Subdomain(lb.hostname)));
      if (parseIPSloppy(lb.hostname) !== null) {
        errs.push(invalid(p.child("hostname"), {
          value: lb.hostname,
          detail: "must be a DNS name, not an IP address",
        }));
      }
    }
  });
  return errs;
}

/** The Ingress strategy. */
export const ingressStrategy: Strategy = {
  nameRule: "subdomain",
  prepareForCreate(obj: KubeObject): void {
    // The zero IngressStatus: Go prints the (struct) load balancer status even when empty.
    (obj as Ingress).status = { loadBalancer: {} };
  },
  validate(obj: KubeObject): FieldError[] {
    return validateIngress(obj as Ingress);
  },
  validateStatusUpdate(obj: KubeObject): FieldError[] {
    return validateIngressStatus(obj as Ingress);
  },
  warnings(obj: KubeObject, old?: KubeObject): string[] {
    // Upstream warns about the deprecated class annotation on create only.
    if (old !== undefined) return [];
    return obj.metadata?.annotations?.[ANNOTATION_INGRESS_CLASS] === undefined ? [] : [
      `annotation ${
        JSON.stringify(ANNOTATION_INGRESS_CLASS)
      } is deprecated, please use 'spec.ingressClassName' instead`,
    ];
  },
};
