/**
 * Where the node agent keeps its files under skiff's `--data-dir` (containerd's own files are
 * laid out by `containerdLayout`).
 *
 * @module
 */
import { join } from "node:path";

/** The agent's directories and files. */
export interface AgentPaths {
  /** `<data-dir>/agent`. */
  readonly root: string;
  /** Image archives imported into containerd at start and when added. */
  readonly images: string;
  /** Static pod manifests. */
  readonly podManifests: string;
  /** Per-pod directories (volumes). */
  readonly pods: string;
  /** The node-local desired state (pods and what they use), for running without the API. */
  readonly state: string;
  /** The kubelet API's serving certificate and key. */
  readonly servingCert: string;
  readonly servingKey: string;
  /** A joined agent's credential (mode 0600) and the cluster CA it trusts. */
  readonly credential: string;
  readonly caCert: string;
}

/** The {@linkcode AgentPaths} of `dataDir`. */
export function agentPaths(dataDir: string): AgentPaths {
  const root = join(dataDir, "agent");
  return {
    root,
    images: join(root, "images"),
    podManifests: join(root, "pod-manifests"),
    pods: join(root, "pods"),
    state: join(root, "state"),
    servingCert: join(root, "tls", "serving.crt"),
    servingKey: join(root, "tls", "serving.key"),
    credential: join(root, "credential"),
    caCert: join(root, "tls", "ca.crt"),
  };
}
