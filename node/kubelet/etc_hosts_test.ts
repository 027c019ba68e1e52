import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { podHostsFile, writePodHostsFile } from "./etc_hosts.ts";

const HEADER = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n" +
  "::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\n" +
  "fe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n";

function pod(spec: Partial<NonNullable<Pod["spec"]>> = {}): Pod {
  return { metadata: { name: "web-0", namespace: "shop" }, spec: { containers: [], ...spec } };
}

Deno.test("podHostsFile() writes the kubelet's managed hosts file", async (t) => {
  await t.step("plain pod", () => {
    assert.equal(podHostsFile(pod(), { podIps: ["10.42.0.5"] }), `${HEADER}10.42.0.5\tweb-0\n`);
  });
  await t.step("hostname and subdomain, dual stack", () => {
    assert.equal(
      podHostsFile(pod({ hostname: "db", subdomain: "svc" }), {
        podIps: ["10.42.0.5", "fd00::5"],
        clusterDomain: "cluster.local",
      }),
      `${HEADER}10.42.0.5\tdb.svc.shop.svc.cluster.local\tdb\nfd00::5\tdb.svc.shop.svc.cluster.local\tdb\n`,
    );
  });
  await t.step("host aliases", () => {
    const text = podHostsFile(pod({ hostAliases: [{ ip: "1.2.3.4", hostnames: ["a", "b"] }] }), {
      podIps: ["10.42.0.5"],
    });
    assert.ok(
      text.endsWith("10.42.0.5\tweb-0\n\n# Entries added by HostAliases.\n1.2.3.4\ta\tb\n"),
    );
  });
  await t.step("host network: the node's file", () => {
    assert.equal(
      podHostsFile(pod({ hostNetwork: true }), {
        podIps: ["192.168.1.2"],
        nodeHostsText: "127.0.0.1 localhost\n",
      }),
      "# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n",
    );
  });
});

Deno.test("writePodHostsFile() writes only when the text changed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = await writePodHostsFile(`${dir}/pod`, "a\n");
    const first = (await Deno.stat(path)).mtime?.getTime();
    await new Promise((r) => setTimeout(r, 20));
    await writePodHostsFile(`${dir}/pod`, "a\n");
    assert.equal((await Deno.stat(path)).mtime?.getTime(), first);
    await writePodHostsFile(`${dir}/pod`, "b\n");
    assert.equal(await Deno.readTextFile(path), "b\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
