/**
 * NetworkPolicy enforcement in nftables, run by every node for its own pods:
 * {@linkcode NetworkPolicyEnforcer} (informers → one `nft -f -` transaction per sync, full at
 * start and after a failure, incremental otherwise), the pure translation
 * {@linkcode buildNetpolRuleset} and the transaction renderers
 * {@linkcode fullNetpolTransaction} / {@linkcode incrementalNetpolTransaction}.
 *
 * Where the rules hook, and why:
 * - **inet filter forward** (two base chains, egress at priority 0 then ingress at 1) sees
 *   traffic between pods and everything routed to or from them. Traffic through a Service
 *   was DNATed to the pod IP at nat prerouting (-100) before, with the client pod's source
 *   IP (skiff's proxy does not masquerade pod-to-pod traffic).
 * - **Pods on the same node talk across the bridge.** On this kernel (6.18, `br_netfilter`
 *   built in) bridged IPv4 frames go through the inet forward hook when
 *   `net.bridge.bridge-nf-call-iptables=1`, which is the default in every new network
 *   namespace: checked on the real kernel (a drop rule in an inet forward chain of a node
 *   netns stopped TCP between two pod netns on one bridge, and the integration test proves
 *   every case across the bridge). So one inet table covers bridged and routed traffic
 *   alike, and the enforcer sets that sysctl at start (loading `br_netfilter` if needed, as
 *   k3s's agent does) rather than duplicating every set into a `bridge` family table.
 * - **inet filter input** applies egress policies to what a pod sends to the node itself
 *   (a Service DNATed to a node address), except the node-local cluster DNS
 *   (`nodeLocalServiceIPs`): every pod reaches it. Users allow DNS by selecting the kube-dns
 *   *pods* (`k8s-app: kube-dns` in kube-system), which skiff's node-local DNS is not, and
 *   Kubernetes lets traffic to a pod's own node pass.
 * - **Nothing on output**: traffic from the node to its pods (kubelet probes) always passes,
 *   as Kubernetes requires. Replies of allowed connections pass on
 *   `ct state established,related`; a pod can always reach itself.
 *
 * ipBlock matches any IPv4 address, pod IPs included (Calico's and kube-router's choice,
 * which upstream's e2e CIDR tests assume); only IPv4 is enforced.
 *
 * @module
 */
export * from "./netpol_ruleset.ts";
export * from "./nft_transaction.ts";
export * from "./network_policy_enforcer.ts";
