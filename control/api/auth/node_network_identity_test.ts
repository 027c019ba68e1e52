import assert from "node:assert/strict";
import { nodeNetworkToken, nodeNetworkUser } from "./node_network_identity.ts";

Deno.test("nodeNetworkToken() swaps the node credential's prefix and refuses other tokens", async (t) => {
  const secret = "b".repeat(43);
  await t.step("a node credential", () => {
    assert.equal(
      nodeNetworkToken(`skiff-node:rack.3:${secret}`),
      `skiff-node-network:rack.3:${secret}`,
    );
  });
  for (const token of ["abcdef.0123456789abcdef", `skiff-node-network:a:${secret}`, ""]) {
    await t.step(`refuses ${JSON.stringify(token.slice(0, 24))}`, () => {
      assert.throws(() => nodeNetworkToken(token), TypeError);
    });
  }
});

Deno.test("nodeNetworkUser() is outside system:nodes, in the node-networks group", () => {
  assert.deepEqual(nodeNetworkUser("edge-1"), {
    username: "system:skiff:node-network:edge-1",
    groups: ["system:skiff:node-networks", "system:authenticated"],
  });
});
