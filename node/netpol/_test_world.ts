/**
 * For tests: a small cluster in the shape of upstream's netpol e2e matrix — namespaces x, y
 * and z, pods a, b and c in each — with x's pods and y/a on the node under test ("n1") and
 * the rest on "n2", plus helpers to write policies tersely.
 *
 * @module
 */
import type { Namespace } from "../../control/api/types/core_v1_namespace.ts";
import type { ContainerPort, Pod } from "../../control/api/types/core_v1_pod.ts";
import type { NetworkPolicy, NetworkPolicySpec } from "../../control/api/types/networking_v1.ts";
import type { NetpolInput } from "./netpol_ruleset.ts";

/** The node whose pods are enforced. */
export const NODE = "n1";

/** Pod IPs by `namespace/name`. */
export const IP: Readonly<Record<string, string>> = Object.freeze({
  "x/a": "10.42.0.10",
  "x/b": "10.42.0.11",
  "x/c": "10.42.0.12",
  "y/a": "10.42.0.20",
  "y/b": "10.42.1.21",
  "y/c": "10.42.1.22",
  "z/a": "10.42.1.30",
  "z/b": "10.42.1.31",
  "z/c": "10.42.1.32",
});

/** Container ports: every pod serves 80/TCP and 81/TCP+UDP; "http" differs per pod. */
function portsOf(key: string): ContainerPort[] {
  const ports: ContainerPort[] = [
    { name: "serve-80", containerPort: 80 },
    { name: "serve-81-tcp", containerPort: 81 },
    { name: "serve-81-udp", containerPort: 81, protocol: "UDP" },
  ];
  if (key === "x/a") ports.push({ name: "http", containerPort: 80, protocol: "TCP" });
  if (key === "x/b") ports.push({ name: "http", containerPort: 8080 });
  if (key === "y/b") ports.push({ name: "http", containerPort: 8080, protocol: "UDP" });
  return ports;
}

/** A pod of the world, by `namespace/name`, with overrides. */
export function testPod(key: string, overrides: { labels?: Record<string, string> } = {}): Pod {
  const [namespace, name] = key.split("/") as [string, string];
  const local = namespace === "x" || key === "y/a";
  return {
    metadata: {
      namespace,
      name,
      labels: overrides.labels ?? { pod: name },
      uid: `uid-${namespace}-${name}`,
    },
    spec: {
      nodeName: local ? NODE : "n2",
      containers: [{ name: "main", image: "busybox", ports: portsOf(key) }],
    },
    status: { phase: "Running", podIP: IP[key]!, podIPs: [{ ip: IP[key]! }] },
  };
}

/** Namespaces x, y, z labelled `ns=<name>`. */
export function testNamespaces(): Namespace[] {
  return ["x", "y", "z"].map((name) => ({
    metadata: { name, labels: { ns: name, "kubernetes.io/metadata.name": name } },
  }));
}

/** A policy `namespace/name` with `spec`. */
export function policy(key: string, spec: NetworkPolicySpec): NetworkPolicy {
  const [namespace, name] = key.split("/") as [string, string];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { namespace, name },
    spec,
  };
}

/** The world's input with `policies` (and extra pods). */
export function world(policies: NetworkPolicy[], extraPods: Pod[] = []): NetpolInput {
  return {
    nodeName: NODE,
    namespaces: testNamespaces(),
    pods: [...Object.keys(IP).map((key) => testPod(key)), ...extraPods],
    policies,
  };
}
