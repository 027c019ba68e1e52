import assert from "node:assert/strict";
import { inNetns, must, NetnsSet, NODE_NETWORK_OFF_FLAGS, nodeNetworkArgs, sh } from "./netns.ts";

Deno.test("NetnsSet links namespaces that reach each other and are gone after disposal", async () => {
  let names: string[];
  {
    await using net = new NetnsSet("sktst");
    const a = await net.add("a");
    const b = await net.add("b");
    const ends = await net.link(a, b, { a: "10.254.7.1/30", b: "10.254.7.2/30" });
    assert.deepEqual(ends, { a: "eth-b", b: "eth-a" });
    await must(inNetns(a, ["busybox", "ping", "-c1", "-W2", "10.254.7.2"]));
    names = [...net.names];
  }
  const listed = await must(["ip", "netns", "list"]);
  for (const name of names) assert.ok(!listed.includes(name), `${name} is still there`);
});

Deno.test("sh() names a program that is not installed", async () => {
  await assert.rejects(sh(["/nonexistent/tool"]), /Cannot run "\/nonexistent\/tool"/);
});

Deno.test("nodeNetworkArgs() turns the network components off only in the host namespace", () => {
  assert.deepEqual(nodeNetworkArgs(true, []), []);
  assert.deepEqual(nodeNetworkArgs(false, []), NODE_NETWORK_OFF_FLAGS);
  assert.deepEqual(nodeNetworkArgs(false, ["--disable-kube-proxy"]), []);
  assert.deepEqual(nodeNetworkArgs(false, ["--disable=servicelb"]), []);
  assert.deepEqual(nodeNetworkArgs(false, ["--disable-agent"]), NODE_NETWORK_OFF_FLAGS);
});
