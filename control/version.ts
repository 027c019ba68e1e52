/**
 * The versions `skiff version` reports: skiff itself, the Kubernetes API it serves, and Deno.
 *
 * @module
 */

/** skiff's own version; `control/version_test.ts` keeps it equal to deno.json's `version`. */
export const SKIFF_VERSION = "0.1.0";

/** The Kubernetes API version skiff serves, as `GET /version` reports it. */
export interface KubernetesVersion {
  readonly major: string;
  readonly minor: string;
  readonly gitVersion: string;
}

/** The Kubernetes release whose API skiff serves. */
export const KUBERNETES_VERSION: KubernetesVersion = Object.freeze({
  major: "1",
  minor: "33",
  gitVersion: "v1.33.0",
});

/** Everything `skiff version` prints. */
export interface VersionInfo {
  /** skiff's version without a leading `v`, e.g. `0.1.0`. */
  readonly skiff: string;
  readonly kubernetes: KubernetesVersion;
  /** The running Deno's version, e.g. `2.9.6`. */
  readonly deno: string;
}

/**
 * Returns skiff's, the served Kubernetes API's and the running Deno's versions.
 *
 * @example Read the versions
 * ```ts
 * import assert from "node:assert/strict";
 * import { versionInfo } from "./version.ts";
 *
 * const info = versionInfo();
 * assert.equal(info.kubernetes.major, "1");
 * assert.equal(info.deno, Deno.version.deno);
 * ```
 */
export function versionInfo(): VersionInfo {
  return Object.freeze({
    skiff: SKIFF_VERSION,
    kubernetes: KUBERNETES_VERSION,
    deno: Deno.version.deno,
  });
}
