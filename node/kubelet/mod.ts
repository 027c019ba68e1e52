/**
 * The kubelet's pod lifecycle on this node: {@linkcode PodWorkers} converge each pod bound to
 * the node on the CRI runtime (sandbox, init containers, containers, hooks, restarts with
 * CrashLoopBackOff, graceful termination, adoption after an agent restart), and
 * {@linkcode PodStatusManager} reports their status to the API and makes the kubelet's final
 * delete.
 *
 * @example Wire the workers (sketch of what the agent does)
 * ```ts ignore
 * const prober = new Prober({
 *   execSync: (containerId, cmd, timeout) => cri.execSync({ containerId, cmd, timeout }),
 *   recordEvent: (e) => recorder.event(e.pod, e),
 * });
 * const statusManager = new PodStatusManager({
 *   pods: client.resource(PODS), clock, logger, nodeIPs: () => nodeIps,
 *   probes: { result: (kind, id) => probes.result(kind, id) },
 * });
 * const probes = new ProbeManager({
 *   clock, prober, getPodStatus: (uid) => statusManager.getPodStatus(uid),
 *   onResult: (update) => workers.handleProbeResult(update),
 * });
 * const workers = new PodWorkers(
 *   { runtime: cri, statusManager, volumes, configMaps, secrets, recorder, clock, logger, node, probes },
 *   { sandbox: { resolvConf, clusterDns: ["10.43.0.10"], clusterDomain: "cluster.local" }, podsDir },
 * );
 * await workers.start(); // adopt what runs, before the first update()
 * // pod source: update(pod) on add/update, forget(uid) on delete, removeOrphans(uids) once synced
 * ```
 *
 * @module
 */
export * from "./pod_workers.ts";
export * from "./pod_status_manager.ts";
export * from "./pod_actions.ts";
export * from "./runtime_pod.ts";
export * from "./runtime_service.ts";
export * from "./image_puller.ts";
export * from "./lifecycle_hooks.ts";
export * from "./etc_hosts.ts";
export * from "./termination_message.ts";
export * from "./crash_loop_backoff.ts";
