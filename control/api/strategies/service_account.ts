/**
 * The ServiceAccount strategy (upstream `pkg/registry/core/serviceaccount/strategy.go`): names
 * are DNS-1123 subdomains and secret references keep only their name.
 *
 * @module
 */
import type { ServiceAccount } from "../types/core_v1_config.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { Strategy } from "./strategy.ts";

function cleanSecretReferences(sa: ServiceAccount): void {
  if (sa.secrets === undefined) return;
  sa.secrets = sa.secrets.map((s) => (s.name === undefined ? {} : { name: s.name }));
}

/** The strategy of `serviceaccounts`. */
export const serviceAccountStrategy: Strategy = {
  prepareForCreate(obj: KubeObject): void {
    cleanSecretReferences(obj as ServiceAccount);
  },
  prepareForUpdate(obj: KubeObject): void {
    cleanSecretReferences(obj as ServiceAccount);
  },
};
