import assert from "node:assert/strict";
import { type HostPort, HostPortInfo, podHostPorts } from "./host_ports.ts";
import { testPod } from "./_testing.ts";

Deno.test("HostPortInfo.conflicts() follows upstream's CheckConflict", async (t) => {
  const cases: { name: string; used: HostPort[]; want: HostPort; conflict: boolean }[] = [
    {
      name: "same ip, protocol and port",
      used: [{ hostIP: "127.0.0.1", protocol: "TCP", hostPort: 80 }],
      want: { hostIP: "127.0.0.1", protocol: "TCP", hostPort: 80 },
      conflict: true,
    },
    {
      name: "another ip",
      used: [{ hostIP: "127.0.0.1", protocol: "TCP", hostPort: 80 }],
      want: { hostIP: "127.0.0.2", protocol: "TCP", hostPort: 80 },
      conflict: false,
    },
    {
      name: "another protocol",
      used: [{ hostIP: "127.0.0.1", protocol: "TCP", hostPort: 80 }],
      want: { hostIP: "127.0.0.1", protocol: "UDP", hostPort: 80 },
      conflict: false,
    },
    {
      name: "0.0.0.0 wanted conflicts with any ip",
      used: [{ hostIP: "10.0.0.1", protocol: "UDP", hostPort: 53 }],
      want: { hostIP: "0.0.0.0", protocol: "UDP", hostPort: 53 },
      conflict: true,
    },
    {
      name: "0.0.0.0 used conflicts with any ip wanted",
      used: [{ hostIP: "0.0.0.0", protocol: "TCP", hostPort: 8080 }],
      want: { hostIP: "192.168.1.5", protocol: "TCP", hostPort: 8080 },
      conflict: true,
    },
    {
      name: "empty ip and protocol default to 0.0.0.0 and TCP",
      used: [{ hostPort: 8080 }],
      want: { hostIP: "10.1.1.1", protocol: "TCP", hostPort: 8080 },
      conflict: true,
    },
    {
      name: "port 0 never conflicts",
      used: [{ hostPort: 0 }],
      want: { hostPort: 0 },
      conflict: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(HostPortInfo.EMPTY.withPorts(c.used).conflicts(c.want), c.conflict);
    });
  }
});

Deno.test("HostPortInfo.withoutPorts() frees a port only when no other pod uses it", () => {
  const port = { hostIP: "0.0.0.0", protocol: "TCP", hostPort: 80 };
  const twice = HostPortInfo.EMPTY.withPorts([port]).withPorts([port]);
  assert.ok(twice.withoutPorts([port]).conflicts(port));
  assert.ok(!twice.withoutPorts([port]).withoutPorts([port]).conflicts(port));
  assert.ok(twice.withoutPorts([port]).withoutPorts([port]).isEmpty);
  assert.ok(HostPortInfo.EMPTY.isEmpty);
});

Deno.test("podHostPorts() returns sidecar and container host ports, defaulted", () => {
  const pod = testPod({
    initContainers: [
      { name: "setup", ports: [{ containerPort: 1, hostPort: 1 }] },
      { name: "proxy", restartPolicy: "Always", ports: [{ containerPort: 2, hostPort: 2 }] },
    ],
    ports: [{ containerPort: 80, hostPort: 8080, protocol: "UDP", hostIP: "10.0.0.1" }, {
      containerPort: 81,
    }],
  });
  assert.deepEqual(podHostPorts(pod), [
    { hostIP: "0.0.0.0", protocol: "TCP", hostPort: 2 },
    { hostIP: "10.0.0.1", protocol: "UDP", hostPort: 8080 },
  ]);
});
