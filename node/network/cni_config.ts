/**
 * The CNI network config containerd reads for skiff's pod network:
 * {@linkcode cniConfigList} builds it, {@linkcode writeCniConfig} writes it into containerd's
 * CNI conf dir, atomically and only when its content changed (containerd reloads the dir on
 * every change, and edge storage wears with needless writes).
 *
 * The conflist holds one plugin, skiff's own bridge (`type: "skiff"`, the skiff binary in CNI
 * mode, see `installCniPlugin`). containerd attaches `lo` itself with the `loopback` plugin
 * from its bin dir, so `loopback` is not listed.
 *
 * @example The conflist of a node with pod CIDR 10.42.3.0/24
 * ```ts
 * import assert from "node:assert/strict";
 * import { cniConfigList } from "./cni_config.ts";
 *
 * const list = cniConfigList({ podCidr: "10.42.3.0/24", ipamDataDir: "/var/lib/skiff/agent/cni/ipam" });
 * assert.equal(list.cniVersion, "1.0.0");
 * assert.equal(list.plugins[0]?.type, "skiff");
 * ```
 *
 * @module
 */
import { writeFileAtomic } from "../../control/util/atomic_file.ts";

/** The network's name (and the IP store's directory under `ipamDataDir`). */
export const SKIFF_CNI_NETWORK = "skiff";
/** The conflist's file name: first in lexical order among typical configs. */
export const SKIFF_CNI_CONFIG_FILE = "10-skiff.conflist";
/** The plugin binary's name in the CNI bin dir. */
export const SKIFF_CNI_PLUGIN = "skiff";
/** The node bridge. */
export const SKIFF_CNI_BRIDGE = "skiff0";

/** Options of {@linkcode cniConfigList}. */
export interface CniConfigListOptions {
  /** The node's `spec.podCIDR` (IPv4). */
  readonly podCidr: string;
  /** Where the plugin keeps its address allocations (under the agent's data dir). */
  readonly ipamDataDir: string;
  /** The MTU of the bridge and the pods' interfaces. @default {1500} */
  readonly mtu?: number;
  /** Pod traffic to this block is not masqueraded (`--cluster-cidr`). @default {podCidr} */
  readonly clusterCidr?: string;
  /** @default {SKIFF_CNI_BRIDGE} */
  readonly bridge?: string;
  /** @default {SKIFF_CNI_NETWORK} */
  readonly name?: string;
}

/** Options of {@linkcode writeCniConfig}. */
export interface WriteCniConfigOptions extends CniConfigListOptions {
  /** containerd's CNI conf dir. */
  readonly confDir: string;
}

/** One plugin entry of the conflist. */
export interface CniPluginConfig {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** The conflist as JSON. */
export interface CniConfigList {
  readonly cniVersion: string;
  readonly name: string;
  readonly plugins: readonly CniPluginConfig[];
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function checkCidr(text: string, what: string): void {
  const m = CIDR.exec(text);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 30) {
    throw new TypeError(`Invalid ${what} "${text}": not an IPv4 CIDR of /30 or larger`);
  }
}

/**
 * The conflist for `options.podCidr`.
 *
 * @throws {TypeError} for a CIDR that is not IPv4 or an MTU out of range.
 */
export function cniConfigList(options: CniConfigListOptions): CniConfigList {
  checkCidr(options.podCidr, "pod CIDR");
  if (options.clusterCidr !== undefined) checkCidr(options.clusterCidr, "cluster CIDR");
  const mtu = options.mtu ?? 1500;
  if (!Number.isInteger(mtu) || mtu < 576 || mtu > 65535) {
    throw new TypeError(`Invalid MTU ${mtu}: must be an integer from 576 to 65535`);
  }
  return {
    cniVersion: "1.0.0",
    name: options.name ?? SKIFF_CNI_NETWORK,
    plugins: [{
      type: SKIFF_CNI_PLUGIN,
      bridge: options.bridge ?? SKIFF_CNI_BRIDGE,
      mtu,
      hairpinMode: true,
      ipMasq: true,
      isDefaultGateway: true,
      clusterCidr: options.clusterCidr ?? options.podCidr,
      ipam: { subnet: options.podCidr, dataDir: options.ipamDataDir },
      capabilities: { portMappings: true },
    }],
  };
}

/** What {@linkcode writeCniConfig} did. */
export interface WriteCniConfigResult {
  readonly path: string;
  /** `false` when the file already held this content. */
  readonly changed: boolean;
}

/** Writes the conflist into `options.confDir` unless it is there already, unchanged. */
export async function writeCniConfig(
  options: WriteCniConfigOptions,
): Promise<WriteCniConfigResult> {
  const text = JSON.stringify(cniConfigList(options), null, 2) + "\n";
  const path = `${options.confDir}/${SKIFF_CNI_CONFIG_FILE}`;
  try {
    if ((await Deno.readTextFile(path)) === text) return { path, changed: false };
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new Error(`Cannot read the CNI config "${path}"`, { cause: err });
    }
  }
  try {
    await Deno.mkdir(options.confDir, { recursive: true, mode: 0o755 });
    await writeFileAtomic(path, { data: text, mode: 0o644 });
  } catch (err) {
    throw new Error(`Cannot write the CNI config "${path}"`, { cause: err });
  }
  return { path, changed: true };
}

/**
 * The pod CIDR of the conflist a previous run wrote into `confDir`, if any: an agent that
 * starts without the control plane reachable can keep its pod network as it was.
 */
export async function readCniConfigPodCidr(confDir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${confDir}/${SKIFF_CNI_CONFIG_FILE}`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`Cannot read the CNI config in "${confDir}"`, { cause: err });
  }
  try {
    const list = JSON.parse(text) as { plugins?: { ipam?: { subnet?: unknown } }[] };
    const subnet = list.plugins?.[0]?.ipam?.subnet;
    return typeof subnet === "string" ? subnet : undefined;
  } catch {
    return undefined;
  }
}
