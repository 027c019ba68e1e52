import assert from "node:assert/strict";
import type { CommandResult, CommandRunner } from "../containerd/command_runner.ts";
import { readRouteState } from "./route_state.ts";

function answering(
  answers: Record<string, Partial<CommandResult>>,
): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run(argv) {
      const line = argv.join(" ");
      calls.push(line);
      const answer = answers[line];
      if (!answer) return Promise.resolve({ code: 1, stdout: "", stderr: `unexpected ${line}` });
      return Promise.resolve({ code: 0, stdout: "", stderr: "", ...answer });
    },
  };
}

const ROUTES = "ip -j -4 route show table main proto 73";
const DEVICE = "ip -j -d addr show dev skiff.vxlan";

// As iproute2 6.1 prints them (captured in a network namespace).
const ROUTES_JSON = JSON.stringify([
  { dst: "10.42.2.0/24", gateway: "10.42.2.0", dev: "skiff.vxlan", flags: ["onlink"] },
  { dst: "10.42.3.0/24", gateway: "10.231.0.3", dev: "v0", flags: [] },
]);
const DEVICE_JSON = JSON.stringify([{
  ifindex: 4,
  ifname: "skiff.vxlan",
  flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
  mtu: 1450,
  address: "2a:d9:47:45:28:f7",
  linkinfo: {
    info_kind: "vxlan",
    info_data: { id: 1, local: "10.231.0.1", link: "v0", port: 8472, learning: false },
  },
  addr_info: [
    { family: "inet", local: "10.42.1.0", prefixlen: 32, scope: "global" },
    { family: "inet6", local: "fe80::28d9:47ff:fe45:28f7", prefixlen: 64, scope: "link" },
  ],
}]);

Deno.test("readRouteState() reads skiff's routes, VXLAN device, neighbour and fdb entries", async () => {
  const runner = answering({
    [ROUTES]: { stdout: ROUTES_JSON },
    [DEVICE]: { stdout: DEVICE_JSON },
    "ip -j -4 neigh show dev skiff.vxlan": {
      stdout: JSON.stringify([
        { dst: "10.42.2.0", lladdr: "aa:bb:cc:dd:ee:ff", state: ["PERMANENT"] },
        { dst: "10.42.9.0", state: ["FAILED"] },
      ]),
    },
    "bridge -j fdb show dev skiff.vxlan": {
      stdout: JSON.stringify([
        { mac: "aa:bb:cc:dd:ee:ff", dst: "10.231.0.2", flags: ["self"], state: "permanent" },
        { mac: "2a:d9:47:45:28:f7", flags: ["self"], state: "permanent" },
      ]),
    },
  });
  assert.deepEqual(
    await readRouteState({ runner, protocol: 73, device: "skiff.vxlan" }),
    {
      device: {
        kind: "vxlan",
        vni: 1,
        port: 8472,
        local: "10.231.0.1",
        underlay: "v0",
        learning: false,
        mtu: 1450,
        up: true,
        mac: "2a:d9:47:45:28:f7",
        addresses: ["10.42.1.0/32"],
      },
      routes: [
        { dst: "10.42.2.0/24", via: "10.42.2.0", dev: "skiff.vxlan", onlink: true },
        { dst: "10.42.3.0/24", via: "10.231.0.3", dev: "v0", onlink: false },
      ],
      neighbours: [
        { address: "10.42.2.0", mac: "aa:bb:cc:dd:ee:ff" },
        { address: "10.42.9.0", mac: undefined },
      ],
      fdb: [{ mac: "aa:bb:cc:dd:ee:ff", remote: "10.231.0.2" }],
    },
  );
});

Deno.test("readRouteState() without the device reads only the routes", async () => {
  const runner = answering({
    [ROUTES]: { stdout: "[]\n" },
    [DEVICE]: { code: 1, stderr: 'Device "skiff.vxlan" does not exist.\n' },
  });
  assert.deepEqual(await readRouteState({ runner, protocol: 73, device: "skiff.vxlan" }), {
    routes: [],
    neighbours: [],
    fdb: [],
  });
  assert.deepEqual(runner.calls, [ROUTES, DEVICE]);
});

Deno.test("readRouteState() names the command that failed", async () => {
  const runner = answering({ [ROUTES]: { code: 255, stderr: "Error: argument is wrong\n" } });
  await assert.rejects(readRouteState({ runner, protocol: 73, device: "skiff.vxlan" }), {
    message:
      'Cannot read the pod routes: "ip -j -4 route show table main proto 73" exited with 255: Error: argument is wrong',
  });
});
