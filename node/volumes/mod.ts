/**
 * Pod volumes on the node, as the kubelet sets them up: the {@linkcode VolumeManager}
 * (emptyDir on disk or tmpfs, configMap, secret, downwardAPI, projected, hostPath, kept up to
 * date on watch events and torn down with the pod), the {@linkcode AtomicWriter} that swaps a
 * volume's files in with one rename, the {@linkcode TokenManager} that caches and refreshes
 * projected ServiceAccount tokens, and the pieces they are built of (downward API formatting,
 * ConfigMap and Secret key projection, hostPath type checks, tmpfs sizing, mounting).
 *
 * @example Set up a pod's emptyDir and tear it down
 * ```ts
 * import assert from "node:assert/strict";
 * import { RecordingLogger } from "../../control/util/logger.ts";
 * import { DenoCommandRunner } from "../containerd/command_runner.ts";
 * import { VolumeManager } from "./mod.ts";
 *
 * const podsDir = await Deno.makeTempDir();
 * const volumes = new VolumeManager({
 *   podsDir,
 *   configMaps: { getConfigMap: () => Promise.resolve(undefined) },
 *   secrets: { getSecret: () => Promise.resolve(undefined) },
 *   tokens: {
 *     getServiceAccountToken: () => Promise.reject(new Error("no tokens here")),
 *     deleteServiceAccountTokens: () => {},
 *   },
 *   runner: new DenoCommandRunner(),
 *   nodeAllocatable: () => ({ memory: "1Gi" }),
 *   logger: new RecordingLogger(),
 * });
 * const pod = {
 *   metadata: { name: "web", namespace: "default", uid: "7d1e5a43" },
 *   spec: { containers: [{ name: "app" }], volumes: [{ name: "scratch", emptyDir: {} }] },
 * };
 * const mounted = await volumes.setUpPod(pod);
 * assert.equal(
 *   mounted.get("scratch")?.hostPath,
 *   `${podsDir}/7d1e5a43/volumes/kubernetes.io~empty-dir/scratch`,
 * );
 * await volumes.tearDownPod("7d1e5a43");
 * await Deno.remove(podsDir, { recursive: true });
 * ```
 *
 * @module
 */
export * from "./volume_manager.ts";
export * from "./atomic_writer.ts";
export * from "./token_manager.ts";
export * from "./downward_api.ts";
export * from "./key_projection.ts";
export * from "./host_path.ts";
export * from "./empty_dir.ts";
export * from "./mounter.ts";
