import assert from "node:assert/strict";
import { parseResolvConf, upstreamsFromResolvConf } from "./resolv_conf.ts";

Deno.test("parseResolvConf() reads nameserver, search and options lines", () => {
  const conf = parseResolvConf([
    "# generated",
    "nameserver 192.168.1.1",
    "nameserver  fe80::1%eth0 ; link-local",
    "nameserver not-an-ip",
    "nameserver 192.168.1.1",
    "domain lan",
    "search example.com corp.example.com",
    "options ndots:2 edns0",
    "options timeout:1",
    "sortlist 10.0.0.0/8",
  ].join("\n"));
  assert.deepEqual(conf, {
    nameservers: ["192.168.1.1", "fe80::1%eth0"],
    search: ["example.com", "corp.example.com"],
    options: ["ndots:2", "edns0", "timeout:1"],
  });
});

function files(map: Record<string, string>): (path: string) => Promise<string | null> {
  return (path) => Promise.resolve(map[path] ?? null);
}

Deno.test("upstreamsFromResolvConf() picks the host's real resolvers", async (t) => {
  const cases: {
    name: string;
    files: Record<string, string>;
    want: { servers: string[]; source: string };
  }[] = [
    {
      name: "servers of /etc/resolv.conf",
      files: { "/etc/resolv.conf": "nameserver 10.0.0.2\nnameserver 127.0.0.1\n" },
      want: { servers: ["10.0.0.2"], source: "/etc/resolv.conf" },
    },
    {
      name: "systemd-resolved's stub: its upstreams instead",
      files: {
        "/etc/resolv.conf": "nameserver 127.0.0.53\noptions edns0 trust-ad\n",
        "/run/systemd/resolve/resolv.conf": "nameserver 192.168.1.1\nnameserver 1.1.1.1\n",
      },
      want: { servers: ["192.168.1.1", "1.1.1.1"], source: "/run/systemd/resolve/resolv.conf" },
    },
    {
      name:
        "only a loopback resolver and nothing behind it: it is used (the node's netns reaches it)",
      files: { "/etc/resolv.conf": "nameserver 127.0.0.1\n" },
      want: { servers: ["127.0.0.1"], source: "/etc/resolv.conf" },
    },
    {
      name: "no file at all",
      files: {},
      want: { servers: [], source: "" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      assert.deepEqual(await upstreamsFromResolvConf({ readTextFile: files(c.files) }), c.want);
    });
  }
});
