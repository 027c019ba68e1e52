/**
 * Image references in the fully qualified form containerd stores and the CRI resolves:
 * `skiff/busybox:1.36` is `docker.io/skiff/busybox:1.36`, `busybox` is
 * `docker.io/library/busybox:latest`, as Docker's reference normalisation does.
 *
 * @example Normalise a short name
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { parseImageReference } from "./image_reference.ts";
 *
 * const ref = parseImageReference("skiff/pause:3.9");
 * equal(ref.name, "docker.io/skiff/pause:3.9");
 * equal(ref.tag, "3.9");
 * ```
 *
 * @module
 */

/** A parsed, normalised image reference. */
export interface ImageReference {
  /** Registry host (and port), e.g. `docker.io`, `localhost:5000`. */
  readonly domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  readonly path: string;
  /** The tag; `latest` when the reference has neither tag nor digest. */
  readonly tag?: string;
  /** The digest, `sha256:<hex>`, when the reference has one. */
  readonly digest?: string;
  /** The whole normalised reference: `domain/path[:tag][@digest]`. */
  readonly name: string;
}

const DEFAULT_DOMAIN = "docker.io";
const OFFICIAL_PREFIX = "library/";
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9-]+)*(?::[0-9]+)?$/;

function invalid(ref: string, why: string): TypeError {
  return new TypeError(`Cannot parse image reference "${ref}": ${why}`);
}

/** Parses and normalises `ref`; throws `TypeError` when it is not a valid reference. */
export function parseImageReference(ref: string): ImageReference {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(ref, `invalid digest "${digest}"`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(ref, `invalid tag "${tag}"`);
  }
  if (rest === "") throw invalid(ref, "the repository name is empty");
  const slash = rest.indexOf("/");
  const first = slash === -1 ? "" : rest.slice(0, slash);
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  if (first !== "" && (first.includes(".") || first.includes(":") || first === "localhost")) {
    domain = first;
    path = rest.slice(slash + 1);
    if (!DOMAIN.test(domain)) throw invalid(ref, `invalid registry host "${domain}"`);
  }
  if (domain === DEFAULT_DOMAIN && !path.includes("/")) path = OFFICIAL_PREFIX + path;
  for (const component of path.split("/")) {
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(ref, `invalid repository path component "${component}"`);
    }
  }
  if (tag === undefined && digest === undefined) tag = "latest";
  const name = `${domain}/${path}${tag === undefined ? "" : `:${tag}`}${
    digest === undefined ? "" : `@${digest}`
  }`;
  return {
    domain,
    path,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
    name,
  };
}
