import assert from "node:assert/strict";
import {
  cniConfigList,
  readCniConfigPodCidr,
  SKIFF_CNI_CONFIG_FILE,
  writeCniConfig,
} from "./cni_config.ts";

Deno.test("cniConfigList() is one skiff bridge plugin with the pod CIDR and portMappings capability", () => {
  assert.deepEqual(
    cniConfigList({
      podCidr: "10.42.3.0/24",
      clusterCidr: "10.42.0.0/16",
      mtu: 1450,
      ipamDataDir: "/var/lib/skiff/agent/cni/ipam",
    }),
    {
      cniVersion: "1.0.0",
      name: "skiff",
      plugins: [{
        type: "skiff",
        bridge: "skiff0",
        mtu: 1450,
        hairpinMode: true,
        ipMasq: true,
        isDefaultGateway: true,
        clusterCidr: "10.42.0.0/16",
        ipam: { subnet: "10.42.3.0/24", dataDir: "/var/lib/skiff/agent/cni/ipam" },
        capabilities: { portMappings: true },
      }],
    },
  );
  const defaults = cniConfigList({ podCidr: "10.42.3.0/24", ipamDataDir: "/x" });
  assert.equal(defaults.plugins[0]!.mtu, 1500);
  assert.equal(defaults.plugins[0]!.clusterCidr, "10.42.3.0/24");
});

Deno.test("cniConfigList() rejects what is not an IPv4 CIDR or a usable MTU", () => {
  assert.throws(
    () => cniConfigList({ podCidr: "fd00::/64", ipamDataDir: "/x" }),
    /Invalid pod CIDR "fd00::\/64"/,
  );
  assert.throws(() => cniConfigList({ podCidr: "10.42.3.0/31", ipamDataDir: "/x" }), TypeError);
  assert.throws(
    () => cniConfigList({ podCidr: "10.42.3.0/24", clusterCidr: "x", ipamDataDir: "/x" }),
    /Invalid cluster CIDR "x"/,
  );
  assert.throws(
    () => cniConfigList({ podCidr: "10.42.3.0/24", mtu: 100, ipamDataDir: "/x" }),
    /Invalid MTU 100/,
  );
});

Deno.test("writeCniConfig() writes the conflist once and again only when it changes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff-cniconf-" });
  try {
    const confDir = `${dir}/net.d`;
    const first = await writeCniConfig({ confDir, podCidr: "10.42.3.0/24", ipamDataDir: "/x" });
    assert.deepEqual(first, { path: `${confDir}/${SKIFF_CNI_CONFIG_FILE}`, changed: true });
    const written = JSON.parse(await Deno.readTextFile(first.path));
    assert.equal(written.plugins[0].ipam.subnet, "10.42.3.0/24");
    const inode = (await Deno.stat(first.path)).ino;
    assert.equal(
      (await writeCniConfig({ confDir, podCidr: "10.42.3.0/24", ipamDataDir: "/x" })).changed,
      false,
    );
    assert.equal((await Deno.stat(first.path)).ino, inode);
    assert.equal(
      (await writeCniConfig({ confDir, podCidr: "10.42.4.0/24", ipamDataDir: "/x" })).changed,
      true,
    );
    assert.equal(
      JSON.parse(await Deno.readTextFile(first.path)).plugins[0].ipam.subnet,
      "10.42.4.0/24",
    );
    assert.deepEqual((await Array.fromAsync(Deno.readDir(confDir))).map((e) => e.name), [
      SKIFF_CNI_CONFIG_FILE,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readCniConfigPodCidr() finds the pod CIDR a previous run wrote", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff-cniconf-" });
  try {
    assert.equal(await readCniConfigPodCidr(dir), undefined);
    await writeCniConfig({ confDir: dir, podCidr: "10.42.7.0/24", ipamDataDir: "/x" });
    assert.equal(await readCniConfigPodCidr(dir), "10.42.7.0/24");
    await Deno.writeTextFile(`${dir}/${SKIFF_CNI_CONFIG_FILE}`, "{");
    assert.equal(await readCniConfigPodCidr(dir), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
