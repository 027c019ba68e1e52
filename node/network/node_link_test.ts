import assert from "node:assert/strict";
import type { CommandResult, CommandRunner } from "../containerd/command_runner.ts";
import { nodeLink } from "./node_link.ts";

function answering(result: Partial<CommandResult>): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run(argv) {
      calls.push(argv.join(" "));
      return Promise.resolve({ code: 0, stdout: "", stderr: "", ...result });
    },
  };
}

const ADDRS = JSON.stringify([
  { ifname: "lo", mtu: 65536, addr_info: [{ family: "inet", local: "127.0.0.1" }] },
  { ifname: "eth0", mtu: 1400, addr_info: [{ family: "inet", local: "10.0.0.5" }] },
  { ifname: "wlan0", mtu: 1500, addr_info: [{ family: "inet", local: "192.168.1.20" }] },
]);

Deno.test("nodeLink() finds the interface holding the address, with its MTU", async () => {
  const runner = answering({ stdout: ADDRS });
  assert.deepEqual(await nodeLink({ runner, address: "10.0.0.5" }), { name: "eth0", mtu: 1400 });
  assert.deepEqual(runner.calls, ["ip -j -4 addr show"]);
  assert.equal(await nodeLink({ runner, address: "10.9.9.9" }), undefined);
});

Deno.test("nodeLink() names the cause when ip fails", async () => {
  await assert.rejects(
    nodeLink({ runner: answering({ code: 1, stderr: "boom\n" }), address: "10.0.0.5" }),
    { message: "Cannot list the node's addresses: boom" },
  );
});
