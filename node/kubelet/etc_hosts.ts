/**
 * The `/etc/hosts` the kubelet manages for a pod's containers, as its `managedHostsFileContent`:
 * localhost entries and the pod's own IPs under its hostname (and FQDN with a subdomain), or, for
 * a host-network pod, the node's hosts file; then the pod's `hostAliases`.
 * {@linkcode writePodHostsFile} writes it under the pod's directory, only when it changed.
 *
 * @example The hosts file of a pod
 * ```ts
 * import assert from "node:assert/strict";
 * import { podHostsFile } from "./etc_hosts.ts";
 *
 * const text = podHostsFile(
 *   { metadata: { name: "web", namespace: "default" }, spec: { containers: [] } },
 *   { podIps: ["10.42.0.5"], clusterDomain: "cluster.local" },
 * );
 * assert.ok(text.startsWith("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"));
 * assert.ok(text.endsWith("10.42.0.5\tweb\n"));
 * ```
 *
 * @module
 */
import type { Pod } from "../../control/api/types/core_v1_pod.ts";

/** What {@linkcode podHostsFile} needs besides the pod. */
export interface PodHostsFileOptions {
  /** The pod's IPs (a host-network pod's are the node's). */
  readonly podIps: readonly string[];
  readonly clusterDomain?: string;
  /** The node's hosts file text, for host-network pods. */
  readonly nodeHostsText?: string;
}

function aliases(pod: Pod): string {
  const list = pod.spec?.hostAliases ?? [];
  if (list.length === 0) return "";
  const lines = list.map((a) => `${a.ip}\t${(a.hostnames ?? []).join("\t")}\n`);
  return `\n# Entries added by HostAliases.\n${lines.join("")}`;
}

/** The text of `pod`'s managed hosts file. */
export function podHostsFile(pod: Pod, options: PodHostsFileOptions): string {
  if (pod.spec?.hostNetwork === true) {
    return `# Kubernetes-managed hosts file (host network).\n${options.nodeHostsText ?? ""}${
      aliases(pod)
    }`;
  }
  const name = pod.metadata?.name ?? "";
  const hostname = (pod.spec?.hostname || name).slice(0, 63).replace(/[-.]+$/, "");
  const subdomain = pod.spec?.subdomain ?? "";
  const domain = subdomain === ""
    ? ""
    : `${subdomain}.${pod.metadata?.namespace ?? ""}.svc.${options.clusterDomain ?? ""}`;
  let text = "# Kubernetes-managed hosts file.\n" +
    "127.0.0.1\tlocalhost\n" +
    "::1\tlocalhost ip6-localhost ip6-loopback\n" +
    "fe00::0\tip6-localnet\n" +
    "fe00::0\tip6-mcastprefix\n" +
    "fe00::1\tip6-allnodes\n" +
    "fe00::2\tip6-allrouters\n";
  for (const ip of options.podIps) {
    text += domain === "" ? `${ip}\t${hostname}\n` : `${ip}\t${hostname}.${domain}\t${hostname}\n`;
  }
  return text + aliases(pod);
}

/**
 * Writes `text` to `<podDir>/etc-hosts` (mode 0644) unless it already holds it; answers the path.
 */
export async function writePodHostsFile(podDir: string, text: string): Promise<string> {
  const path = `${podDir.replace(/\/+$/, "")}/etc-hosts`;
  try {
    if (await Deno.readTextFile(path) === text) return path;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.mkdir(podDir, { recursive: true, mode: 0o750 });
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, text, { mode: 0o644 });
  await Deno.rename(tmp, path);
  return path;
}
