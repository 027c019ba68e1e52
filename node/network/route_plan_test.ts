import assert from "node:assert/strict";
import {
  type DesiredRoutes,
  type ObservedRoutes,
  type ObservedVxlanDevice,
  planRouteCommands,
  type VxlanDevice,
} from "./route_plan.ts";

const OPTIONS = { protocol: 73, device: "skiff.vxlan" };
const NOTHING: ObservedRoutes = { routes: [], neighbours: [], fdb: [] };
const VXLAN: VxlanDevice = {
  vni: 1,
  port: 8472,
  local: "192.168.1.11",
  underlay: "eth0",
  mtu: 1450,
  address: "10.42.1.0",
};
const DEVICE: ObservedVxlanDevice = {
  kind: "vxlan",
  vni: 1,
  port: 8472,
  local: "192.168.1.11",
  underlay: "eth0",
  learning: false,
  mtu: 1450,
  up: true,
  mac: "0a:00:00:00:00:01",
  addresses: ["10.42.1.0/32"],
};
const PEER_B = { address: "10.42.2.0", mac: "0a:00:00:00:00:02", remote: "192.168.1.12" };
const ROUTE_B = { dst: "10.42.2.0/24", via: "10.42.2.0", dev: "skiff.vxlan", onlink: true };
const WITH_B: DesiredRoutes = { vxlan: VXLAN, vteps: [PEER_B], routes: [ROUTE_B] };
const HAS_B: ObservedRoutes = {
  device: DEVICE,
  routes: [ROUTE_B],
  neighbours: [{ address: "10.42.2.0", mac: PEER_B.mac }],
  fdb: [{ mac: PEER_B.mac, remote: PEER_B.remote }],
};

Deno.test("planRouteCommands() gives the exact ip and bridge commands per backend and state", async (t) => {
  const cases: {
    name: string;
    desired: DesiredRoutes;
    observed: ObservedRoutes;
    want: string[];
  }[] = [
    {
      name: "host-gw: a route per new peer",
      desired: {
        routes: [
          { dst: "10.42.2.0/24", via: "192.168.1.12", dev: "eth0", onlink: false },
          { dst: "10.42.3.0/24", via: "192.168.1.13", dev: "eth0", onlink: false },
        ],
        vteps: [],
      },
      observed: NOTHING,
      want: [
        "ip route replace 10.42.2.0/24 via 192.168.1.12 dev eth0 proto 73",
        "ip route replace 10.42.3.0/24 via 192.168.1.13 dev eth0 proto 73",
      ],
    },
    {
      name: "host-gw: a matching route stays, a changed one is replaced, a stale one goes",
      desired: {
        routes: [
          { dst: "10.42.2.0/24", via: "192.168.1.12", dev: "eth0", onlink: false },
          { dst: "10.42.3.0/24", via: "192.168.1.33", dev: "eth0", onlink: false },
        ],
        vteps: [],
      },
      observed: {
        ...NOTHING,
        routes: [
          { dst: "10.42.2.0/24", via: "192.168.1.12", dev: "eth0", onlink: false },
          { dst: "10.42.3.0/24", via: "192.168.1.13", dev: "eth0", onlink: false },
          { dst: "10.42.4.0/24", via: "192.168.1.14", dev: "eth0", onlink: false },
        ],
      },
      want: [
        "ip route del 10.42.4.0/24 proto 73",
        "ip route replace 10.42.3.0/24 via 192.168.1.33 dev eth0 proto 73",
      ],
    },
    {
      name: "host-gw: skiff's VXLAN device goes, with the routes through it",
      desired: {
        routes: [{ dst: "10.42.2.0/24", via: "192.168.1.12", dev: "eth0", onlink: false }],
        vteps: [],
      },
      observed: HAS_B,
      want: [
        "ip link del skiff.vxlan",
        "ip route replace 10.42.2.0/24 via 192.168.1.12 dev eth0 proto 73",
      ],
    },
    {
      name: "vxlan: device, address, then per peer fdb, neighbour and onlink route",
      desired: WITH_B,
      observed: NOTHING,
      want: [
        "ip link add skiff.vxlan type vxlan id 1 local 192.168.1.11 dev eth0 dstport 8472 nolearning",
        "ip link set skiff.vxlan mtu 1450 up",
        "ip addr add 10.42.1.0/32 dev skiff.vxlan",
        "bridge fdb replace 0a:00:00:00:00:02 dev skiff.vxlan dst 192.168.1.12 self permanent",
        "ip neigh replace 10.42.2.0 lladdr 0a:00:00:00:00:02 dev skiff.vxlan nud permanent",
        "ip route replace 10.42.2.0/24 via 10.42.2.0 dev skiff.vxlan onlink proto 73",
      ],
    },
    {
      name: "vxlan: nothing when the kernel already matches (an agent restart)",
      desired: WITH_B,
      observed: HAS_B,
      want: [],
    },
    {
      name: "vxlan: a peer gone loses its route, fdb and neighbour entries",
      desired: { vxlan: VXLAN, vteps: [], routes: [] },
      observed: HAS_B,
      want: [
        "ip route del 10.42.2.0/24 proto 73",
        "bridge fdb del 0a:00:00:00:00:02 dev skiff.vxlan dst 192.168.1.12 self",
        "ip neigh del 10.42.2.0 dev skiff.vxlan",
      ],
    },
    {
      name: "vxlan: a peer's new address rewrites only its fdb entry",
      desired: { ...WITH_B, vteps: [{ ...PEER_B, remote: "192.168.9.12" }] },
      observed: HAS_B,
      want: [
        "bridge fdb del 0a:00:00:00:00:02 dev skiff.vxlan dst 192.168.1.12 self",
        "bridge fdb replace 0a:00:00:00:00:02 dev skiff.vxlan dst 192.168.9.12 self permanent",
      ],
    },
    {
      name: "vxlan: an MTU change and a down device are fixed in place",
      desired: { ...WITH_B, vxlan: { ...VXLAN, mtu: 1400 } },
      observed: { ...HAS_B, device: { ...DEVICE, up: false } },
      want: ["ip link set skiff.vxlan mtu 1400 up"],
    },
    {
      name: "vxlan: a new pod CIDR moves the device's address",
      desired: { ...WITH_B, vxlan: { ...VXLAN, address: "10.42.7.0" } },
      observed: HAS_B,
      want: [
        "ip addr del 10.42.1.0/32 dev skiff.vxlan",
        "ip addr add 10.42.7.0/32 dev skiff.vxlan",
      ],
    },
    {
      name: "vxlan: a device with another local address is made again, with all its entries",
      desired: { ...WITH_B, vxlan: { ...VXLAN, local: "192.168.1.99" } },
      observed: HAS_B,
      want: [
        "ip link del skiff.vxlan",
        "ip link add skiff.vxlan type vxlan id 1 local 192.168.1.99 dev eth0 dstport 8472 nolearning",
        "ip link set skiff.vxlan mtu 1450 up",
        "ip addr add 10.42.1.0/32 dev skiff.vxlan",
        "bridge fdb replace 0a:00:00:00:00:02 dev skiff.vxlan dst 192.168.1.12 self permanent",
        "ip neigh replace 10.42.2.0 lladdr 0a:00:00:00:00:02 dev skiff.vxlan nud permanent",
        "ip route replace 10.42.2.0/24 via 10.42.2.0 dev skiff.vxlan onlink proto 73",
      ],
    },
    {
      name: "vxlan: a learning device or one of another kind is replaced",
      desired: { vxlan: VXLAN, vteps: [], routes: [] },
      observed: { ...NOTHING, device: { ...DEVICE, kind: "bridge" } },
      want: [
        "ip link del skiff.vxlan",
        "ip link add skiff.vxlan type vxlan id 1 local 192.168.1.11 dev eth0 dstport 8472 nolearning",
        "ip link set skiff.vxlan mtu 1450 up",
        "ip addr add 10.42.1.0/32 dev skiff.vxlan",
      ],
    },
    {
      name: "vxlan: an incomplete neighbour entry is completed",
      desired: WITH_B,
      observed: { ...HAS_B, neighbours: [{ address: "10.42.2.0", mac: undefined }] },
      want: [
        "ip neigh replace 10.42.2.0 lladdr 0a:00:00:00:00:02 dev skiff.vxlan nud permanent",
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(
        planRouteCommands(c, OPTIONS).map((argv) => argv.join(" ")),
        c.want,
      );
    });
  }
});
