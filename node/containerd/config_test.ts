import assert from "node:assert/strict";
import {
  type ContainerdConfigOptions,
  containerdLayout,
  type ContainerdLayoutOptions,
  MAX_CONTAINERD_SOCKET_PATH_BYTES,
  renderContainerdConfig,
} from "./config.ts";

const BASE: ContainerdConfigOptions = {
  rootDir: "/var/lib/skiff/agent/containerd",
  stateDir: "/run/skiff/containerd",
  socketPath: "/run/skiff/containerd/containerd.sock",
  cniBinDir: "/var/lib/skiff/agent/cni/bin",
  cniConfDir: "/var/lib/skiff/agent/cni/net.d",
  sandboxImage: "localhost/skiff/pause:1",
};

const CRI = `[plugins."io.containerd.grpc.v1.cri"]`;

Deno.test("renderContainerdConfig() renders skiff's defaults", () => {
  assert.equal(
    renderContainerdConfig(BASE),
    `# Written by skiff; changes are overwritten when skiff starts containerd.
version = 2
root = "/var/lib/skiff/agent/containerd"
state = "/run/skiff/containerd"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.internal.v1.tracing", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "/run/skiff/containerd/containerd.sock"

[debug]
  level = "info"
  format = "json"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/skiff/pause:1"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_tls_streaming = false
  max_container_log_line_size = 16384
  restrict_oom_score_adj = false
  netns_mounts_under_state_dir = false

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    disable_snapshot_annotations = true

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "/run/skiff/containerd/runc"

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/var/lib/skiff/agent/cni/bin"
    conf_dir = "/var/lib/skiff/agent/cni/net.d"
    max_conf_num = 1
`,
  );
});

Deno.test("renderContainerdConfig() renders each option", async (t) => {
  const cases: { name: string; options: Partial<ContainerdConfigOptions>; lines: string[] }[] = [
    {
      name: "native snapshotter",
      options: { snapshotter: "native" },
      lines: [`    snapshotter = "native"`],
    },
    {
      name: "systemd cgroups",
      options: { systemdCgroup: true },
      lines: ["        SystemdCgroup = true"],
    },
    {
      name: "restricted oom_score_adj",
      options: { restrictOomScoreAdj: true },
      lines: ["  restrict_oom_score_adj = true"],
    },
    {
      name: "netns under the state dir",
      options: { netnsMountsUnderStateDir: true },
      lines: ["  netns_mounts_under_state_dir = true"],
    },
    {
      name: "stream server",
      options: { streamServerAddress: "0.0.0.0", streamServerPort: "10010" },
      lines: [`  stream_server_address = "0.0.0.0"`, `  stream_server_port = "10010"`],
    },
    {
      name: "unlimited log lines",
      options: { maxContainerLogLineSize: -1 },
      lines: ["  max_container_log_line_size = -1"],
    },
    {
      name: "registry hosts.toml dir",
      options: { registryConfigPath: "/var/lib/skiff/agent/etc/containerd/certs.d" },
      lines: [
        `  ${CRI.slice(0, -1)}.registry]`,
        `    config_path = "/var/lib/skiff/agent/etc/containerd/certs.d"`,
      ],
    },
    {
      name: "registry credentials, after the registry table, sorted by host",
      options: {
        registryConfigPath: "/certs.d",
        registryAuths: {
          "registry-1.docker.io": { identitytoken: "tok" },
          "127.0.0.1:5000": { username: "u", password: 'p"w' },
        },
      },
      lines: [
        `  ${CRI.slice(0, -1)}.registry.configs."127.0.0.1:5000".auth]`,
        `    username = "u"`,
        `    password = "p\\"w"`,
        `  ${CRI.slice(0, -1)}.registry.configs."registry-1.docker.io".auth]`,
        `    identitytoken = "tok"`,
      ],
    },
    {
      name: "runc root",
      options: { runcRoot: "/run/skiff/runc" },
      lines: [`        Root = "/run/skiff/runc"`],
    },
    { name: "own oom score", options: { oomScore: -999 }, lines: ["oom_score = -999"] },
    { name: "log level", options: { logLevel: "debug" }, lines: [`  level = "debug"`] },
    {
      name: "disabled plugins",
      options: { disabledPlugins: ["io.containerd.snapshotter.v1.zfs"] },
      lines: [`disabled_plugins = ["io.containerd.snapshotter.v1.zfs"]`],
    },
    {
      name: "no disabled plugins",
      options: { disabledPlugins: [] },
      lines: ["disabled_plugins = []"],
    },
    {
      name: "escaped strings",
      options: { sandboxImage: 'we"ird\\image\n' },
      lines: [`  sandbox_image = "we\\"ird\\\\image\\n"`],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const lines = renderContainerdConfig({ ...BASE, ...c.options }).split("\n");
      for (const line of c.lines) assert.ok(lines.includes(line), `missing line: ${line}`);
    });
  }
  await t.step("no registry table or oom_score unless asked", () => {
    const text = renderContainerdConfig(BASE);
    assert.equal(text.includes(".registry]"), false);
    assert.equal(text.includes("oom_score ="), false);
  });
});

Deno.test("renderContainerdConfig() rejects options containerd cannot use", async (t) => {
  const long = `/tmp/${"d".repeat(MAX_CONTAINERD_SOCKET_PATH_BYTES - "/tmp/".length - 4)}/c.sock`;
  const cases: {
    name: string;
    options: Partial<ContainerdConfigOptions>;
    error: typeof TypeError | typeof RangeError;
    message: string;
  }[] = [
    {
      name: "relative root",
      options: { rootDir: "root" },
      error: TypeError,
      message: 'Cannot configure containerd: rootDir "root" is not an absolute path',
    },
    {
      name: "relative registry dir",
      options: { registryConfigPath: "certs.d" },
      error: TypeError,
      message: 'Cannot configure containerd: registryConfigPath "certs.d" is not an absolute path',
    },
    {
      name: "registry auth without a field",
      options: { registryAuths: { "mirror:5000": {} } },
      error: TypeError,
      message: 'Cannot configure containerd: registry auth of "mirror:5000" is empty',
    },
    {
      name: "registry auth host with a quote",
      options: { registryAuths: { 'a"b': { auth: "eDp5" } } },
      error: TypeError,
      message: 'Cannot configure containerd: registry host "a"b" is not a host',
    },
    {
      name: "socket path too long with .ttrpc",
      options: { socketPath: long },
      error: RangeError,
      message: `Cannot configure containerd: socket path "${long}" is ${long.length} bytes, ` +
        `at most ${MAX_CONTAINERD_SOCKET_PATH_BYTES} fit in a unix socket address with ".ttrpc" appended`,
    },
    {
      name: "zero log line size",
      options: { maxContainerLogLineSize: 0 },
      error: RangeError,
      message:
        'Cannot configure containerd: max container log line size "0" must be -1 or a positive integer',
    },
    {
      name: "oom score out of range",
      options: { oomScore: 2000 },
      error: RangeError,
      message:
        'Cannot configure containerd: oom score "2000" must be an integer from -1000 to 1000',
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => renderContainerdConfig({ ...BASE, ...c.options }), {
        name: c.error.name,
        message: c.message,
      });
    });
  }
  await t.step("a socket path of exactly the limit is accepted", () => {
    const fits = `/${"s".repeat(MAX_CONTAINERD_SOCKET_PATH_BYTES - 1)}`;
    assert.ok(renderContainerdConfig({ ...BASE, socketPath: fits }).includes(fits));
  });
});

Deno.test("containerdLayout() places containerd under the data dir and the run dir", async (t) => {
  const cases: {
    name: string;
    options: ContainerdLayoutOptions;
    stateDir: string;
    agent: string;
  }[] = [
    {
      name: "root install uses /run/skiff",
      options: { dataDir: "/var/lib/skiff" },
      stateDir: "/run/skiff/containerd",
      agent: "/var/lib/skiff/agent",
    },
    {
      name: "other data dirs keep their own run dir",
      options: { dataDir: "/home/pi/.skiff/" },
      stateDir: "/home/pi/.skiff/run/containerd",
      agent: "/home/pi/.skiff/agent",
    },
    {
      name: "explicit run dir",
      options: { dataDir: "/var/lib/skiff", runDir: "/run/skiff-n2/" },
      stateDir: "/run/skiff-n2/containerd",
      agent: "/var/lib/skiff/agent",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(containerdLayout(c.options), {
        configPath: `${c.agent}/etc/containerd/config.toml`,
        rootDir: `${c.agent}/containerd`,
        stateDir: c.stateDir,
        socketPath: `${c.stateDir}/containerd.sock`,
        cniBinDir: `${c.agent}/cni/bin`,
        cniConfDir: `${c.agent}/cni/net.d`,
        registryConfigPath: `${c.agent}/etc/containerd/certs.d`,
      });
    });
  }
});
