/**
 * Static pods: {@linkcode StaticPodSource} makes pods from the manifests in
 * `<data-dir>/agent/pod-manifests/` as the kubelet's file source does and watches the directory
 * for changes; {@linkcode MirrorPods} keeps a mirror pod in the API for each of them.
 *
 * @module
 */
export * from "./mirror_pods.ts";
export * from "./static_pod.ts";
export * from "./static_pod_source.ts";
