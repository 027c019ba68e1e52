/**
 * The node's pod network at agent start: skiff's CNI plugin installed in containerd's CNI bin
 * dir, and the conflist for the node's pod CIDR (`spec.podCIDR`, given by the control plane's
 * `nodeipam` controller) written in its conf dir — containerd watches that dir and reports the
 * network ready once it appears. A conflist from an earlier run is used at once (pods can start
 * with the control plane unreachable); the CIDR the API gives replaces it if it differs.
 *
 * @module
 */
import type { Client } from "../../control/client/client.ts";
import type { Clock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import type { CommandRunner } from "../containerd/command_runner.ts";
import { readCniConfigPodCidr, writeCniConfig } from "../network/cni_config.ts";
import { installCniPlugin } from "../network/cni_plugin_install.ts";
import { hostMtu } from "../network/host_mtu.ts";
import { nodeLink } from "../network/node_link.ts";
import { podMtu, type PodNetworkBackend } from "../network/pod_mtu.ts";
import { waitForPodCidr } from "../network/pod_cidr.ts";

/** What {@linkcode configurePodNetwork} needs. */
export interface PodNetworkOptions {
  readonly client: Client;
  readonly nodeName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly runner: CommandRunner;
  readonly confDir: string;
  readonly binDir: string;
  readonly ipamDataDir: string;
  readonly clusterCidr: string;
  readonly plugin: { readonly executable: string; readonly moduleUrl?: string };
  /** How pod traffic reaches other nodes (it sets the pods' MTU). @default {"vxlan"} */
  readonly backend?: PodNetworkBackend;
  /** The node's IPv4 address (`--node-ip`), whose link sizes the MTU. @default {the default route's link} */
  readonly nodeIp?: string;
}

/** Installs the plugin and writes the conflist (see the module doc); resolves when done. */
export async function configurePodNetwork(options: PodNetworkOptions): Promise<void> {
  await installCniPlugin({
    binDir: options.binDir,
    executable: options.plugin.executable,
    ...(options.plugin.moduleUrl ? { moduleUrl: options.plugin.moduleUrl } : {}),
  });
  const link = options.nodeIp === undefined
    ? undefined
    : await nodeLink({ runner: options.runner, address: options.nodeIp });
  const mtu = podMtu(
    options.backend ?? "vxlan",
    link?.mtu ?? await hostMtu({ runner: options.runner }),
  );
  const write = async (podCidr: string) => {
    const result = await writeCniConfig({
      confDir: options.confDir,
      podCidr,
      clusterCidr: options.clusterCidr,
      ipamDataDir: options.ipamDataDir,
      mtu,
    });
    options.logger.info("Pod network configured", { podCidr, mtu, ...result });
  };
  const stored = await readCniConfigPodCidr(options.confDir);
  if (stored) await write(stored);
  const podCidr = await waitForPodCidr(options);
  if (podCidr !== stored) await write(podCidr);
}
