import assert from "node:assert/strict";
import {
  AGENT_CONFIG_KEYS,
  agentFlagsHelp,
  CONFIG_KEYS,
  type ConfigDeps,
  ConfigError,
  defaultClusterDnsOf,
  envName,
  FLANNEL_BACKEND_VALUES,
  loadAgentConfig,
  loadServerConfig,
  type ServerConfig,
  serverFlagsHelp,
} from "./config.ts";
import { FLANNEL_BACKENDS } from "../node/agent/agent.ts";

interface FakeWorld {
  env?: Record<string, string>;
  hostname?: string;
  uid?: number | null;
  cwd?: string;
  files?: Record<string, string>;
}

/** Deps that touch nothing real: env, hostname, uid, cwd and files come from `world`. */
function fakeDeps(world: FakeWorld = {}): ConfigDeps & { reads: string[] } {
  const reads: string[] = [];
  return {
    env: world.env ?? { HOME: "/home/pi" },
    hostname: () => world.hostname ?? "edge-1",
    uid: () => world.uid === undefined ? 1000 : world.uid,
    cwd: () => world.cwd ?? "/work",
    readTextFile: (path) => {
      reads.push(path);
      const text = world.files?.[path];
      if (text === undefined) {
        return Promise.reject(new Deno.errors.NotFound(`No such file or directory: ${path}`));
      }
      return Promise.resolve(text);
    },
    reads,
  };
}

function load(args: string[], world: FakeWorld = {}): Promise<ServerConfig> {
  return loadServerConfig(args, fakeDeps(world));
}

async function loadError(args: string[], world: FakeWorld = {}): Promise<string> {
  try {
    await load(args, world);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.message;
  }
  assert.fail(`expected loadServerConfig(${JSON.stringify(args)}) to throw`);
}

Deno.test("loadServerConfig() applies the defaults for a non-root user", async () => {
  const config = await load([]);
  assert.deepEqual({ ...config }, {
    dataDir: "/home/pi/.skiff",
    httpsPort: 6443,
    storage: "kv",
    etcdEndpoints: [],
    disableAgent: false,
    disableScheduler: false,
    disableControllerManager: false,
    nodeName: "edge-1",
    clusterCidr: "10.42.0.0/16",
    serviceCidr: "10.43.0.0/16",
    clusterDns: "10.43.0.10",
    clusterDomain: "cluster.local",
    flannelBackend: "vxlan",
    disableKubeProxy: false,
    disableNetworkPolicy: false,
    disableDns: false,
    disableServiceLb: false,
    configFile: null,
    logLevel: "info",
    tlsSans: [],
    storageUrl: "kv:///home/pi/.skiff/db/state.kv",
    containerRuntimeEndpoint: null,
    nodeIPs: [],
    kubeletPort: 10250,
  });
});

Deno.test("loadServerConfig() returns a frozen config", async () => {
  const config = await load(["--storage", "etcd", "--etcd-endpoints", "http://e:2379"]);
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.etcdEndpoints));
  assert.throws(() => {
    (config as { httpsPort: number }).httpsPort = 1;
  }, TypeError);
});

Deno.test("loadServerConfig() defaults data-dir to /var/lib/skiff as root", async () => {
  const config = await load([], { uid: 0, env: {} });
  assert.equal(config.dataDir, "/var/lib/skiff");
  assert.equal(config.storageUrl, "kv:///var/lib/skiff/db/state.kv");
});

Deno.test("loadServerConfig() treats a missing uid as non-root", async () => {
  const config = await load([], { uid: null });
  assert.equal(config.dataDir, "/home/pi/.skiff");
});

Deno.test("loadServerConfig() refuses to guess a data dir without HOME as non-root", async () => {
  assert.match(await loadError([], { env: {} }), /HOME is not set.*set --data-dir/);
  const config = await load(["--data-dir", "/srv/skiff"], { env: {} });
  assert.equal(config.dataDir, "/srv/skiff");
});

Deno.test("loadServerConfig() resolves data-dir against cwd and expands ~", async (t) => {
  const cases = [
    { given: "/srv/skiff/", want: "/srv/skiff" },
    { given: "state", want: "/work/state" },
    { given: "../state", want: "/state" },
    { given: "~", want: "/home/pi" },
    { given: "~/skiff", want: "/home/pi/skiff" },
  ];
  for (const c of cases) {
    await t.step(c.given, async () => {
      const config = await load(["--data-dir", c.given]);
      assert.equal(config.dataDir, c.want);
      assert.equal(config.storageUrl, `kv://${c.want === "/" ? "" : c.want}/db/state.kv`);
    });
  }
});

Deno.test("loadServerConfig() reads every key from its flag", async () => {
  const config = await load([
    "--data-dir=/d",
    "--https-port=8443",
    "--storage=etcd",
    "--etcd-endpoints=http://10.0.0.1:2379,https://etcd.example:2379",
    "--disable-agent",
    "--disable-scheduler",
    "--disable-controller-manager",
    "--node-name=pi-4.edge",
    "--cluster-cidr=10.52.0.0/16",
    "--service-cidr=10.53.0.0/20",
    "--cluster-dns=10.53.0.53",
    "--cluster-domain=edge.internal",
    "--flannel-backend=host-gw",
    "--disable-kube-proxy",
    "--disable-network-policy",
    "--disable=dns,servicelb",
    "--log-level=debug",
    "--tls-san=edge.example.com,192.168.1.10",
    "--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
    "--node-ip=192.168.1.10",
    "--kubelet-port=11250",
  ]);
  assert.deepEqual({ ...config }, {
    dataDir: "/d",
    httpsPort: 8443,
    storage: "etcd",
    etcdEndpoints: ["http://10.0.0.1:2379", "https://etcd.example:2379"],
    disableAgent: true,
    disableScheduler: true,
    disableControllerManager: true,
    nodeName: "pi-4.edge",
    clusterCidr: "10.52.0.0/16",
    serviceCidr: "10.53.0.0/20",
    clusterDns: "10.53.0.53",
    clusterDomain: "edge.internal",
    flannelBackend: "host-gw",
    disableKubeProxy: true,
    disableNetworkPolicy: true,
    disableDns: true,
    disableServiceLb: true,
    configFile: null,
    logLevel: "debug",
    tlsSans: ["edge.example.com", "192.168.1.10"],
    storageUrl: "etcd://10.0.0.1:2379,https://etcd.example:2379",
    containerRuntimeEndpoint: "unix:///run/containerd/containerd.sock",
    nodeIPs: ["192.168.1.10"],
    kubeletPort: 11250,
  });
});

Deno.test("loadServerConfig() reads every key from SKIFF_* variables", async () => {
  const config = await load([], {
    env: {
      SKIFF_DATA_DIR: "/env",
      SKIFF_HTTPS_PORT: "7443",
      SKIFF_STORAGE: "etcd",
      SKIFF_ETCD_ENDPOINTS: "http://a:2379",
      SKIFF_DISABLE_AGENT: "true",
      SKIFF_DISABLE_SCHEDULER: "1",
      SKIFF_DISABLE_CONTROLLER_MANAGER: "true",
      SKIFF_NODE_NAME: "env-node",
      SKIFF_CLUSTER_CIDR: "10.62.0.0/16",
      SKIFF_SERVICE_CIDR: "10.63.0.0/16",
      SKIFF_CLUSTER_DNS: "10.63.0.2",
      SKIFF_CLUSTER_DOMAIN: "env.local",
      SKIFF_LOG_LEVEL: "warn",
      SKIFF_TLS_SAN: "env.example.com,10.0.0.9",
      SKIFF_FLANNEL_BACKEND: "none",
      SKIFF_DISABLE_KUBE_PROXY: "true",
      SKIFF_DISABLE_NETWORK_POLICY: "1",
      SKIFF_DISABLE: "coredns",
    },
  });
  assert.equal(config.dataDir, "/env");
  assert.equal(config.httpsPort, 7443);
  assert.equal(config.storage, "etcd");
  assert.deepEqual(config.etcdEndpoints, ["http://a:2379"]);
  assert.equal(config.disableAgent, true);
  assert.equal(config.disableScheduler, true);
  assert.equal(config.disableControllerManager, true);
  assert.equal(config.nodeName, "env-node");
  assert.equal(config.clusterCidr, "10.62.0.0/16");
  assert.equal(config.serviceCidr, "10.63.0.0/16");
  assert.equal(config.clusterDns, "10.63.0.2");
  assert.equal(config.clusterDomain, "env.local");
  assert.equal(config.logLevel, "warn");
  assert.deepEqual(config.tlsSans, ["env.example.com", "10.0.0.9"]);
  assert.equal(config.flannelBackend, "none");
  assert.equal(config.disableKubeProxy, true);
  assert.equal(config.disableNetworkPolicy, true);
  assert.equal(config.disableDns, true);
  assert.equal(config.disableServiceLb, false);
});

Deno.test("loadServerConfig() reads every key from the config file", async () => {
  const file = [
    "data-dir: /file",
    "https-port: 9443",
    "storage: etcd",
    "etcd-endpoints:",
    "  - http://e1:2379",
    "  - http://e2",
    "disable-agent: true",
    "node-name: file-node",
    "cluster-cidr: 10.72.0.0/16",
    "service-cidr: 10.73.0.0/16",
    "cluster-dns: 10.73.0.10",
    "cluster-domain: file.local",
    "log-level: error",
    "tls-san:",
    "  - file.example.com",
    "  - fd00::10",
    "flannel-backend: host-gw",
    "disable-kube-proxy: true",
    "disable-network-policy: false",
    "disable: [servicelb]",
  ].join("\n");
  const deps = fakeDeps({ files: { "/etc/skiff.yaml": file } });
  const config = await loadServerConfig(["--config", "/etc/skiff.yaml"], deps);
  assert.deepEqual(deps.reads, ["/etc/skiff.yaml"]);
  assert.equal(config.configFile, "/etc/skiff.yaml");
  assert.equal(config.dataDir, "/file");
  assert.equal(config.httpsPort, 9443);
  assert.equal(config.storage, "etcd");
  assert.deepEqual(config.etcdEndpoints, ["http://e1:2379", "http://e2:2379"]);
  assert.equal(config.storageUrl, "etcd://e1:2379,e2:2379");
  assert.equal(config.disableAgent, true);
  assert.equal(config.nodeName, "file-node");
  assert.equal(config.clusterCidr, "10.72.0.0/16");
  assert.equal(config.serviceCidr, "10.73.0.0/16");
  assert.equal(config.clusterDns, "10.73.0.10");
  assert.equal(config.clusterDomain, "file.local");
  assert.equal(config.logLevel, "error");
  assert.deepEqual(config.tlsSans, ["file.example.com", "fd00::10"]);
  assert.equal(config.flannelBackend, "host-gw");
  assert.equal(config.disableKubeProxy, true);
  assert.equal(config.disableNetworkPolicy, false);
  assert.equal(config.disableDns, false);
  assert.equal(config.disableServiceLb, true);
});

Deno.test("loadServerConfig() ranks flags over env over file over defaults", async () => {
  const world: FakeWorld = {
    env: { HOME: "/home/pi", SKIFF_HTTPS_PORT: "7443", SKIFF_LOG_LEVEL: "warn" },
    files: { "/c.yaml": "https-port: 9443\nlog-level: error\nnode-name: from-file\n" },
  };
  const config = await load(["--config=/c.yaml", "--https-port", "8443"], world);
  assert.equal(config.httpsPort, 8443);
  assert.equal(config.logLevel, "warn");
  assert.equal(config.nodeName, "from-file");
  assert.equal(config.clusterDomain, "cluster.local");
});

Deno.test("loadServerConfig() takes the last of a repeated flag", async () => {
  const config = await load(["--https-port", "1", "--https-port", "2"]);
  assert.equal(config.httpsPort, 2);
});

Deno.test("loadServerConfig() takes the config file from SKIFF_CONFIG, relative to cwd", async () => {
  const config = await load([], {
    env: { HOME: "/h", SKIFF_CONFIG: "conf/skiff.yaml" },
    cwd: "/srv",
    files: { "/srv/conf/skiff.yaml": "https-port: 1234\n" },
  });
  assert.equal(config.configFile, "/srv/conf/skiff.yaml");
  assert.equal(config.httpsPort, 1234);
});

Deno.test("loadServerConfig() ignores empty SKIFF_* variables", async () => {
  const config = await load([], { env: { HOME: "/h", SKIFF_STORAGE: "", SKIFF_HTTPS_PORT: "" } });
  assert.equal(config.storage, "kv");
  assert.equal(config.httpsPort, 6443);
});

Deno.test("loadServerConfig() accepts an empty config file and string scalars in it", async () => {
  const empty = await load(["--config", "/e.yaml"], { files: { "/e.yaml": "# nothing\n" } });
  assert.equal(empty.httpsPort, 6443);
  const strings = await load(["--config", "/s.yaml"], {
    files: {
      "/s.yaml":
        'https-port: "8443"\ndisable-agent: "true"\netcd-endpoints: "http://a,http://b"\n' +
        "storage: etcd\n",
    },
  });
  assert.equal(strings.httpsPort, 8443);
  assert.equal(strings.disableAgent, true);
  assert.deepEqual(strings.etcdEndpoints, ["http://a:2379", "http://b:2379"]);
});

Deno.test("loadServerConfig() refuses bad flag values, naming the flag and accepted values", async (t) => {
  const cases: { args: string[]; message: string }[] = [
    {
      args: ["--storage", "sqlite"],
      message: 'Invalid --storage "sqlite": expected one of kv, etcd',
    },
    {
      args: ["--https-port", "99999"],
      message: 'Invalid --https-port "99999": expected an integer from 1 to 65535',
    },
    {
      args: ["--https-port", "0"],
      message: 'Invalid --https-port "0": expected an integer from 1 to 65535',
    },
    {
      args: ["--https-port", "80.5"],
      message: 'Invalid --https-port "80.5": expected an integer from 1 to 65535',
    },
    {
      args: ["--https-port="],
      message: 'Invalid --https-port "": expected an integer from 1 to 65535',
    },
    { args: ["--data-dir="], message: 'Invalid --data-dir "": expected a non-empty path' },
    {
      args: ["--log-level", "trace"],
      message: 'Invalid --log-level "trace": expected one of error, warn, info, debug',
    },
    {
      args: ["--node-name", "Edge_1"],
      message: 'Invalid --node-name "Edge_1": expected a DNS-1123 subdomain',
    },
    {
      args: ["--node-name", `${"a".repeat(254)}`],
      message: "Invalid --node-name",
    },
    {
      args: ["--cluster-domain=-bad.local"],
      message: 'Invalid --cluster-domain "-bad.local": expected a DNS-1123 subdomain',
    },
    {
      args: ["--cluster-cidr", "10.42.0.1/16"],
      message:
        'Invalid --cluster-cidr "10.42.0.1/16": expected an IPv4 CIDR with no host bits set and ' +
        "a prefix from /8 to /24, such as 10.42.0.0/16",
    },
    { args: ["--cluster-cidr", "10.42.0.0/25"], message: 'Invalid --cluster-cidr "10.42.0.0/25"' },
    { args: ["--cluster-cidr", "10.42.0.0"], message: 'Invalid --cluster-cidr "10.42.0.0"' },
    { args: ["--cluster-cidr", "fd00::/64"], message: 'Invalid --cluster-cidr "fd00::/64"' },
    { args: ["--service-cidr", "10.0.0.0/8"], message: 'Invalid --service-cidr "10.0.0.0/8"' },
    { args: ["--service-cidr", "10.43.0.0/29"], message: 'Invalid --service-cidr "10.43.0.0/29"' },
    { args: ["--service-cidr", "256.0.0.0/16"], message: 'Invalid --service-cidr "256.0.0.0/16"' },
    {
      args: ["--cluster-dns", "10.43.0.300"],
      message: 'Invalid --cluster-dns "10.43.0.300": expected an IPv4 address such as 10.43.0.10',
    },
    { args: ["--cluster-dns", "010.43.0.1"], message: 'Invalid --cluster-dns "010.43.0.1"' },
    {
      args: ["--storage", "etcd", "--etcd-endpoints", "ftp://e:2379"],
      message: 'Invalid --etcd-endpoints "ftp://e:2379": expected a comma-separated list of ' +
        "http:// or https:// URLs such as http://127.0.0.1:2379",
    },
    {
      args: ["--storage", "etcd", "--etcd-endpoints", "e:2379"],
      message: 'Invalid --etcd-endpoints "e:2379"',
    },
    {
      args: ["--storage", "etcd", "--etcd-endpoints", "http://e:2379/v3"],
      message: 'Invalid --etcd-endpoints "http://e:2379/v3"',
    },
    {
      args: ["--storage", "etcd", "--etcd-endpoints", "http://u:p@e:2379"],
      message: 'Invalid --etcd-endpoints "http://u:p@e:2379"',
    },
    {
      args: ["--storage", "etcd", "--etcd-endpoints", "http://a:2379,"],
      message: 'Invalid --etcd-endpoints "http://a:2379,"',
    },
    {
      args: ["--flannel-backend", "wireguard-native"],
      message: 'Invalid --flannel-backend "wireguard-native": expected one of vxlan, host-gw, none',
    },
    {
      args: ["--disable", "traefik"],
      message: 'Invalid --disable "traefik": expected a comma-separated list of components to ' +
        "disable: dns (or coredns), servicelb",
    },
    { args: ["--disable", "dns,"], message: 'Invalid --disable "dns,": expected' },
    { args: ["--disable="], message: 'Invalid --disable "": expected' },
    {
      args: ["--disable", "dns", "--disable", "DNS"],
      message: 'Invalid --disable "dns,DNS": expected',
    },
  ];
  for (const c of cases) {
    await t.step(c.args.join(" "), async () => {
      const message = await loadError(c.args);
      assert.ok(message.startsWith(c.message), `${message}\n  does not start with\n${c.message}`);
    });
  }
});

Deno.test("loadServerConfig() refuses malformed command lines, naming the flag", async (t) => {
  const cases: { args: string[]; message: string | RegExp }[] = [
    { args: ["--sotrage", "kv"], message: /^Unknown flag "--sotrage": expected one of --config, / },
    {
      args: ["-x"],
      message:
        /^Unknown flag "-x": expected one of .*--storage.*--log-level, --tls-san, --container-runtime-endpoint, --node-ip, --kubelet-port$/,
    },
    { args: ["--storage"], message: "Missing value for --storage: expected one of kv, etcd" },
    {
      args: ["--https-port", "--disable-agent"],
      message: "Missing value for --https-port: expected an integer from 1 to 65535 " +
        '(write --https-port=VALUE for a value that starts with "-")',
    },
    { args: ["--disable-agent=false"], message: "Invalid --disable-agent: it takes no value" },
    {
      args: ["--disable-kube-proxy=true"],
      message: "Invalid --disable-kube-proxy: it takes no value",
    },
    {
      args: ["--disable"],
      message: "Missing value for --disable: expected a comma-separated list of components to " +
        "disable: dns (or coredns), servicelb",
    },
    { args: ["extra"], message: 'Unexpected argument "extra": skiff server takes only flags' },
  ];
  for (const c of cases) {
    await t.step(c.args.join(" "), async () => {
      const message = await loadError(c.args);
      if (typeof c.message === "string") assert.equal(message, c.message);
      else assert.match(message, c.message);
    });
  }
});

Deno.test("loadServerConfig() refuses bad SKIFF_* values, naming the variable", async (t) => {
  const cases: { env: Record<string, string>; message: string }[] = [
    {
      env: { SKIFF_STORAGE: "sqlite" },
      message: 'Invalid SKIFF_STORAGE "sqlite": expected one of kv, etcd',
    },
    {
      env: { SKIFF_HTTPS_PORT: "http" },
      message: 'Invalid SKIFF_HTTPS_PORT "http": expected an integer from 1 to 65535',
    },
    {
      env: { SKIFF_DISABLE_AGENT: "yes" },
      message: 'Invalid SKIFF_DISABLE_AGENT "yes": expected true or false',
    },
    {
      env: { SKIFF_DISABLE: "dns,local-storage" },
      message: 'Invalid SKIFF_DISABLE "dns,local-storage": expected a comma-separated list of ' +
        "components to disable: dns (or coredns), servicelb",
    },
    {
      env: { SKIFF_FLANNEL_BACKEND: "VXLAN" },
      message: 'Invalid SKIFF_FLANNEL_BACKEND "VXLAN": expected one of vxlan, host-gw, none',
    },
  ];
  for (const c of cases) {
    await t.step(Object.keys(c.env).join(), async () => {
      assert.equal(await loadError([], { env: { HOME: "/h", ...c.env } }), c.message);
    });
  }
});

Deno.test("loadServerConfig() reads SKIFF_DISABLE_AGENT as true, false, 1 or 0", async (t) => {
  for (
    const [raw, want] of [["true", true], ["1", true], ["false", false], ["0", false]] as const
  ) {
    await t.step(raw, async () => {
      const config = await load([], { env: { HOME: "/h", SKIFF_DISABLE_AGENT: raw } });
      assert.equal(config.disableAgent, want);
    });
  }
});

Deno.test("loadServerConfig() validates a value even when a higher source overrides it", async () => {
  const message = await loadError(["--storage", "kv"], {
    env: { HOME: "/h", SKIFF_STORAGE: "sqlite" },
  });
  assert.equal(message, 'Invalid SKIFF_STORAGE "sqlite": expected one of kv, etcd');
});

Deno.test("loadServerConfig() refuses bad config files, naming the file and key", async (t) => {
  const cases: { file: string; message: string }[] = [
    {
      file: "https-port: 99999\n",
      message:
        'Cannot parse config file "/x.yaml": key "https-port" must be an integer from 1 to 65535',
    },
    {
      file: "https-port: 6443.5\n",
      message:
        'Cannot parse config file "/x.yaml": key "https-port" must be an integer from 1 to 65535',
    },
    {
      file: "storage: sqlite\n",
      message: 'Cannot parse config file "/x.yaml": key "storage" must be one of kv, etcd',
    },
    {
      file: "disable-agent: maybe\n",
      message: 'Cannot parse config file "/x.yaml": key "disable-agent" must be true or false',
    },
    {
      file: "node-name: [a, b]\n",
      message: 'Cannot parse config file "/x.yaml": key "node-name" must be a DNS-1123 subdomain',
    },
    {
      file: "storage: etcd\netcd-endpoints: [http://a, 5]\n",
      message: 'Cannot parse config file "/x.yaml": key "etcd-endpoints" must be a ' +
        "comma-separated list of http:// or https:// URLs",
    },
    {
      file: "storage: etcd\netcd-endpoints: []\n",
      message: 'Cannot parse config file "/x.yaml": key "etcd-endpoints" must be a comma-separated',
    },
    {
      file: "https_port: 6443\n",
      message: 'Cannot parse config file "/x.yaml": unknown key "https_port", expected one of ' +
        "data-dir, https-port, storage,",
    },
    {
      file: "config: /other.yaml\n",
      message: 'Cannot parse config file "/x.yaml": key "config" cannot be set in a config file',
    },
    {
      file: "- https-port\n",
      message: 'Cannot parse config file "/x.yaml": expected a mapping of keys to values',
    },
    { file: "just text\n", message: 'Cannot parse config file "/x.yaml": expected a mapping' },
    { file: "https-port: [\n", message: 'Cannot parse config file "/x.yaml": ' },
    { file: "storage: kv\nstorage: etcd\n", message: 'Cannot parse config file "/x.yaml": ' },
    {
      file: "disable: [dns, traefik]\n",
      message: 'Cannot parse config file "/x.yaml": key "disable" must be a comma-separated ' +
        "list of components to disable: dns (or coredns), servicelb",
    },
    {
      file: "disable-network-policy: yes please\n",
      message:
        'Cannot parse config file "/x.yaml": key "disable-network-policy" must be true or false',
    },
    {
      file: "flannel-backend: ipsec\n",
      message: 'Cannot parse config file "/x.yaml": key "flannel-backend" must be one of ' +
        "vxlan, host-gw, none",
    },
  ];
  for (const c of cases) {
    await t.step(JSON.stringify(c.file), async () => {
      const message = await loadError(["--config", "/x.yaml"], { files: { "/x.yaml": c.file } });
      assert.ok(message.startsWith(c.message), `${message}\n  does not start with\n${c.message}`);
    });
  }
});

Deno.test("loadServerConfig() reports a config file it cannot read", async () => {
  const message = await loadError(["--config", "missing.yaml"], { cwd: "/etc" });
  assert.match(message, /^Cannot read config file "\/etc\/missing.yaml": No such file/);
});

Deno.test("loadServerConfig() needs --etcd-endpoints with storage etcd", async (t) => {
  const cases: { args: string[]; env?: Record<string, string>; origin: string }[] = [
    { args: ["--storage", "etcd"], origin: "from --storage" },
    { args: [], env: { HOME: "/h", SKIFF_STORAGE: "etcd" }, origin: "from SKIFF_STORAGE" },
  ];
  for (const c of cases) {
    await t.step(c.origin, async () => {
      const message = await loadError(c.args, c.env ? { env: c.env } : {});
      assert.equal(
        message,
        `Missing etcd endpoints: storage "etcd" (${c.origin}) needs --etcd-endpoints, a ` +
          "comma-separated list of http:// or https:// URLs such as http://127.0.0.1:2379",
      );
    });
  }
});

Deno.test("loadServerConfig() refuses --etcd-endpoints with storage kv", async (t) => {
  await t.step("default storage", async () => {
    assert.equal(
      await loadError(["--etcd-endpoints", "http://e:2379"]),
      'Cannot use --etcd-endpoints with storage "kv" (the default): etcd endpoints need ' +
        "--storage etcd",
    );
  });
  await t.step("explicit storage overriding the file", async () => {
    const message = await loadError(["--config", "/c.yaml", "--storage", "kv"], {
      files: { "/c.yaml": "storage: etcd\netcd-endpoints: http://e:2379\n" },
    });
    assert.equal(
      message,
      'Cannot use key "etcd-endpoints" in config file "/c.yaml" with storage "kv" ' +
        "(from --storage): etcd endpoints need --storage etcd",
    );
  });
});

Deno.test("loadServerConfig() normalises and dedupes etcd endpoints", async () => {
  const config = await load([
    "--storage",
    "etcd",
    "--etcd-endpoints",
    " http://a:2379 ,http://a:2379/,https://[::1]:2379,http://b",
  ]);
  assert.deepEqual(config.etcdEndpoints, ["http://a:2379", "https://[::1]:2379", "http://b:2379"]);
  assert.equal(config.storageUrl, "etcd://a:2379,https://[::1]:2379,b:2379");
});

Deno.test("loadServerConfig() derives cluster-dns from service-cidr when unset", async (t) => {
  const cases = [
    { serviceCidr: "10.43.0.0/16", dns: "10.43.0.10" },
    { serviceCidr: "10.96.0.0/12", dns: "10.96.0.10" },
    { serviceCidr: "192.168.100.0/28", dns: "192.168.100.10" },
  ];
  for (const c of cases) {
    await t.step(c.serviceCidr, async () => {
      const config = await load(["--service-cidr", c.serviceCidr]);
      assert.equal(config.clusterDns, c.dns);
    });
  }
});

Deno.test("loadServerConfig() requires cluster-dns inside service-cidr", async (t) => {
  const cases = [
    { args: ["--cluster-dns", "10.44.0.10"], ok: false },
    { args: ["--cluster-dns", "10.43.0.0"], ok: false },
    { args: ["--cluster-dns", "10.43.255.255"], ok: false },
    { args: ["--cluster-dns", "10.43.255.254"], ok: true },
    { args: ["--service-cidr", "10.96.0.0/12", "--cluster-dns", "10.96.0.10"], ok: true },
    { args: ["--service-cidr", "10.96.0.0/12", "--cluster-dns", "10.43.0.10"], ok: false },
  ];
  for (const c of cases) {
    await t.step(c.args.join(" "), async () => {
      if (c.ok) {
        const config = await load(c.args);
        assert.equal(config.clusterDns, c.args.at(-1));
      } else {
        assert.match(
          await loadError(c.args),
          /^Invalid --cluster-dns "[0-9.]+": expected an IPv4 address inside service-cidr /,
        );
      }
    });
  }
});

Deno.test("loadServerConfig() names the config file key when cluster-dns there is outside", async () => {
  const message = await loadError(["--config", "/c.yaml"], {
    files: { "/c.yaml": "cluster-dns: 10.99.0.10\n" },
  });
  assert.equal(
    message,
    'Cannot parse config file "/c.yaml": key "cluster-dns" must be an IPv4 address inside ' +
      "service-cidr 10.43.0.0/16, other than its first and last",
  );
});

Deno.test("loadServerConfig() refuses overlapping cluster and service CIDRs", async (t) => {
  await t.step("service-cidr given", async () => {
    assert.equal(
      await loadError(["--service-cidr", "10.42.128.0/20", "--cluster-dns", "10.42.128.10"]),
      'Invalid --service-cidr "10.42.128.0/20": expected a range that does not overlap ' +
        "cluster-cidr 10.42.0.0/16",
    );
  });
  await t.step("only cluster-cidr given", async () => {
    assert.equal(
      await loadError(["--cluster-cidr", "10.0.0.0/8"]),
      'Invalid --cluster-cidr "10.0.0.0/8": expected a range that does not overlap ' +
        "service-cidr 10.43.0.0/16",
    );
  });
});

Deno.test("loadServerConfig() defaults node-name to the lowercased hostname", async () => {
  const config = await load([], { hostname: "Pi-Rack3.Edge.Example" });
  assert.equal(config.nodeName, "pi-rack3.edge.example");
});

Deno.test("loadServerConfig() refuses a hostname that is no valid node name", async () => {
  const message = await loadError([], { hostname: "my_pi" });
  assert.match(message, /^Invalid node name "my_pi" taken from the hostname: .*; set --node-name$/);
  const config = await load(["--node-name", "my-pi"], { hostname: "my_pi" });
  assert.equal(config.nodeName, "my-pi");
});

Deno.test("loadServerConfig() does not lowercase an explicit node name", async () => {
  assert.match(await loadError(["--node-name", "Pi"]), /^Invalid --node-name "Pi"/);
});

Deno.test("envName() maps a key to its SKIFF_ variable", () => {
  assert.equal(envName("https-port"), "SKIFF_HTTPS_PORT");
  assert.equal(envName("config"), "SKIFF_CONFIG");
});

Deno.test("serverFlagsHelp() lists every flag with its default", () => {
  const help = serverFlagsHelp();
  for (const key of CONFIG_KEYS) assert.match(help, new RegExp(`--${key}\\b`));
  assert.match(help, /--https-port PORT +port of the API server \(default: 6443\)/);
  assert.match(help, /--storage kv\|etcd .*\(default: kv\)/);
});

Deno.test("loadServerConfig() reads --tls-san lists from every source", async (t) => {
  const cases: { name: string; args?: string[]; world?: FakeWorld; tlsSans: string[] }[] = [
    { name: "unset", tlsSans: [] },
    { name: "one flag", args: ["--tls-san", "edge.example.com"], tlsSans: ["edge.example.com"] },
    {
      name: "a comma-separated flag",
      args: ["--tls-san=edge.example.com,192.168.1.10,fd00::1"],
      tlsSans: ["edge.example.com", "192.168.1.10", "fd00::1"],
    },
    {
      name: "a repeated flag adds up",
      args: ["--tls-san", "a.example.com", "--tls-san", "b.example.com,10.0.0.1"],
      tlsSans: ["a.example.com", "b.example.com", "10.0.0.1"],
    },
    {
      name: "spaces trimmed, names lowercased, duplicates dropped",
      args: ["--tls-san", " Edge.Example.COM , 10.0.0.1", "--tls-san", "edge.example.com"],
      tlsSans: ["edge.example.com", "10.0.0.1"],
    },
    {
      name: "a wildcard name",
      args: ["--tls-san", "*.edge.example.com"],
      tlsSans: ["*.edge.example.com"],
    },
    {
      name: "the environment variable",
      world: { env: { HOME: "/h", SKIFF_TLS_SAN: "env.example.com,10.1.1.1" } },
      tlsSans: ["env.example.com", "10.1.1.1"],
    },
    {
      name: "a config file string",
      args: ["--config", "/c.yaml"],
      world: { files: { "/c.yaml": "tls-san: a.example.com,10.2.2.2\n" } },
      tlsSans: ["a.example.com", "10.2.2.2"],
    },
    {
      name: "a config file list",
      args: ["--config", "/c.yaml"],
      world: { files: { "/c.yaml": "tls-san: [a.example.com, '10.2.2.2', '2001:db8::5']\n" } },
      tlsSans: ["a.example.com", "10.2.2.2", "2001:db8::5"],
    },
    {
      name: "an empty config file list",
      args: ["--config", "/c.yaml"],
      world: { files: { "/c.yaml": "tls-san: []\n" } },
      tlsSans: [],
    },
    {
      name: "flags replace the environment, which replaces the file",
      args: ["--config", "/c.yaml", "--tls-san", "flag.example.com"],
      world: {
        env: { HOME: "/h", SKIFF_TLS_SAN: "env.example.com" },
        files: { "/c.yaml": "tls-san: [file.example.com]\n" },
      },
      tlsSans: ["flag.example.com"],
    },
    {
      name: "the environment replaces the file",
      args: ["--config", "/c.yaml"],
      world: {
        env: { HOME: "/h", SKIFF_TLS_SAN: "env.example.com" },
        files: { "/c.yaml": "tls-san: [file.example.com]\n" },
      },
      tlsSans: ["env.example.com"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const config = await load(c.args ?? [], c.world ?? {});
      assert.deepEqual(config.tlsSans, c.tlsSans);
      assert.ok(Object.isFrozen(config.tlsSans));
    });
  }
});

Deno.test("loadServerConfig() refuses a --tls-san entry that is no name or address", async (t) => {
  const expected = "expected a comma-separated list of DNS names and IP addresses such as " +
    "edge.example.com,192.168.1.10";
  const cases: { name: string; args?: string[]; world?: FakeWorld; message: string }[] = [
    {
      name: "an underscore",
      args: ["--tls-san", "edge_1.example.com"],
      message: `Invalid --tls-san "edge_1.example.com": ${expected}`,
    },
    {
      name: "an empty entry",
      args: ["--tls-san", "a.example.com,,b.example.com"],
      message: `Invalid --tls-san "a.example.com,,b.example.com": ${expected}`,
    },
    { name: "an empty flag", args: ["--tls-san="], message: `Invalid --tls-san "": ${expected}` },
    {
      name: "a bad entry among repeated flags",
      args: ["--tls-san", "ok.example.com", "--tls-san", "not ok"],
      message: `Invalid --tls-san "ok.example.com,not ok": ${expected}`,
    },
    {
      name: "an IPv6 address with a zone",
      args: ["--tls-san", "fe80::1%eth0"],
      message: `Invalid --tls-san "fe80::1%eth0": ${expected}`,
    },
    {
      name: "a wildcard past the first label",
      args: ["--tls-san", "edge.*.example.com"],
      message: `Invalid --tls-san "edge.*.example.com": ${expected}`,
    },
    {
      name: "a URL",
      args: ["--tls-san", "https://edge.example.com"],
      message: `Invalid --tls-san "https://edge.example.com": ${expected}`,
    },
    {
      name: "no value",
      args: ["--tls-san"],
      message: `Missing value for --tls-san: ${expected}`,
    },
    {
      name: "the environment variable",
      world: { env: { HOME: "/h", SKIFF_TLS_SAN: "a.example.com,-bad" } },
      message: `Invalid SKIFF_TLS_SAN "a.example.com,-bad": ${expected}`,
    },
    {
      name: "a config file entry that is not a string",
      args: ["--config", "/c.yaml"],
      world: { files: { "/c.yaml": "tls-san: [a.example.com, 5]\n" } },
      message: 'Cannot parse config file "/c.yaml": key "tls-san" must be a comma-separated ' +
        "list of DNS names and IP addresses such as edge.example.com,192.168.1.10",
    },
    {
      name: "a config file mapping",
      args: ["--config", "/c.yaml"],
      world: { files: { "/c.yaml": "tls-san: {a: b}\n" } },
      message: 'Cannot parse config file "/c.yaml": key "tls-san" must be a comma-separated',
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const message = await loadError(c.args ?? [], c.world ?? {});
      assert.ok(message.startsWith(c.message), `${message}\n  should start with\n${c.message}`);
    });
  }
});

Deno.test("serverFlagsHelp() shows --tls-san", () => {
  assert.match(
    serverFlagsHelp(),
    /--tls-san NAME,… +more DNS names or IP addresses for the serving certificate \(repeatable\)/,
  );
});

Deno.test("loadAgentConfig() needs --server and reads the agent's keys", async (t) => {
  await t.step("defaults", async () => {
    const config = await loadAgentConfig(["--server", "https://10.0.0.1:6443/"], fakeDeps({}));
    assert.deepEqual({ ...config }, {
      dataDir: "/home/pi/.skiff",
      server: "https://10.0.0.1:6443",
      token: null,
      nodeName: "edge-1",
      nodeIPs: [],
      containerRuntimeEndpoint: null,
      kubeletPort: 10250,
      clusterCidr: "10.42.0.0/16",
      serviceCidr: "10.43.0.0/16",
      clusterDns: null,
      clusterDomain: "cluster.local",
      flannelBackend: "vxlan",
      disableKubeProxy: false,
      disableNetworkPolicy: false,
      disableDns: false,
      configFile: null,
      logLevel: "info",
    });
  });
  await t.step("from the environment", async () => {
    const config = await loadAgentConfig(
      [],
      fakeDeps({
        env: {
          HOME: "/home/pi",
          SKIFF_SERVER: "https://s:6443",
          SKIFF_TOKEN: "abcdef.0123456789abcdef",
        },
      }),
    );
    assert.equal(config.server, "https://s:6443");
    assert.equal(config.token, "abcdef.0123456789abcdef");
  });
  await t.step("no --server", async () => {
    await assert.rejects(
      loadAgentConfig([], fakeDeps({})),
      (err: Error) =>
        err instanceof ConfigError && /^Missing --server: expected an https:\/\//.test(err.message),
    );
  });
  await t.step("a server-only flag", async () => {
    await assert.rejects(
      loadAgentConfig(["--server", "https://s:6443", "--storage", "kv"], fakeDeps({})),
      (err: Error) =>
        err instanceof ConfigError &&
        /^Unknown flag "--storage": expected one of --config, --data-dir, --server/.test(
          err.message,
        ),
    );
  });
  await t.step("an http:// server", async () => {
    await assert.rejects(
      loadAgentConfig(["--server", "http://s:6443"], fakeDeps({})),
      (err: Error) => err instanceof ConfigError && err.message.includes("--server"),
    );
  });
});

Deno.test("loadServerConfig() reads --disable lists from every source", async (t) => {
  const cases: {
    name: string;
    args?: string[];
    world?: FakeWorld;
    dns: boolean;
    servicelb: boolean;
  }[] = [
    { name: "unset", dns: false, servicelb: false },
    { name: "one flag", args: ["--disable", "servicelb"], dns: false, servicelb: true },
    { name: "coredns is dns", args: ["--disable=coredns"], dns: true, servicelb: false },
    {
      name: "a repeated flag adds up, spaces trimmed",
      args: ["--disable", "dns", "--disable", " servicelb ,coredns"],
      dns: true,
      servicelb: true,
    },
    {
      name: "a config file string",
      args: ["--config", "/c.yaml"],
      world: { files: { "/c.yaml": "disable: servicelb,dns\n" } },
      dns: true,
      servicelb: true,
    },
    {
      name: "an empty config file list",
      args: ["--config", "/c.yaml"],
      world: { files: { "/c.yaml": "disable: []\n" } },
      dns: false,
      servicelb: false,
    },
    {
      name: "flags replace the environment",
      args: ["--disable", "servicelb"],
      world: { env: { HOME: "/h", SKIFF_DISABLE: "dns" } },
      dns: false,
      servicelb: true,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const config = await load(c.args ?? [], c.world ?? {});
      assert.equal(config.disableDns, c.dns);
      assert.equal(config.disableServiceLb, c.servicelb);
    });
  }
});

Deno.test("FLANNEL_BACKEND_VALUES are the agent's FLANNEL_BACKENDS", () => {
  assert.deepEqual([...FLANNEL_BACKEND_VALUES], [...FLANNEL_BACKENDS]);
});

Deno.test("serverFlagsHelp() and agentFlagsHelp() show the network flags", () => {
  const server = serverFlagsHelp();
  assert.match(
    server,
    /--flannel-backend vxlan\|host-gw\|none +how pods reach .*\(default: vxlan\)/,
  );
  assert.match(server, /--disable-kube-proxy +run no Service proxy on the node/);
  assert.match(server, /--disable-network-policy +enforce no NetworkPolicy on the node/);
  assert.match(
    server,
    /--disable COMPONENT,… +components not to run \(repeatable\): dns .*servicelb/,
  );
  const agent = agentFlagsHelp();
  for (const key of AGENT_CONFIG_KEYS) assert.match(agent, new RegExp(`--${key}\\b`));
  assert.match(agent, /--service-cidr CIDR +Service ClusterIP range \(default: 10\.43\.0\.0\/16\)/);
  assert.match(
    agent,
    /--cluster-dns IP .*\(default: the server's \(the clusterIP of its kube-system\/kube-dns Service\)/,
  );
  assert.match(
    agent,
    /--disable COMPONENT,… +components not to run on this node \(repeatable\): dns/,
  );
  assert.doesNotMatch(agent, /servicelb/);
});

Deno.test("loadAgentConfig() reads the network flags; --disable takes only dns", async (t) => {
  const load = (args: string[], world: FakeWorld = {}) =>
    loadAgentConfig(["--server", "https://s:6443", ...args], fakeDeps(world));
  await t.step("flags", async () => {
    const config = await load([
      "--service-cidr=10.53.0.0/20",
      "--cluster-dns=10.53.0.53",
      "--flannel-backend=none",
      "--disable-kube-proxy",
      "--disable-network-policy",
      "--disable=coredns",
    ]);
    assert.equal(config.serviceCidr, "10.53.0.0/20");
    assert.equal(config.clusterDns, "10.53.0.53");
    assert.equal(config.flannelBackend, "none");
    assert.equal(config.disableKubeProxy, true);
    assert.equal(config.disableNetworkPolicy, true);
    assert.equal(config.disableDns, true);
  });
  await t.step("the config file", async () => {
    const config = await load(["--config", "/a.yaml"], {
      files: { "/a.yaml": "flannel-backend: host-gw\ndisable: [dns]\nservice-cidr: 10.9.0.0/16\n" },
    });
    assert.equal(config.flannelBackend, "host-gw");
    assert.equal(config.disableDns, true);
    assert.equal(config.serviceCidr, "10.9.0.0/16");
  });
  const refusals: { name: string; args: string[]; world?: FakeWorld; message: string }[] = [
    {
      name: "servicelb is no agent component",
      args: ["--disable", "servicelb"],
      message: 'Invalid --disable "servicelb": expected a comma-separated list of components ' +
        "to disable: dns (or coredns)",
    },
    {
      name: "servicelb in the environment",
      args: [],
      world: { env: { HOME: "/h", SKIFF_DISABLE: "dns,servicelb" } },
      message: 'Invalid SKIFF_DISABLE "dns,servicelb": expected a comma-separated list of ' +
        "components to disable: dns (or coredns)",
    },
    {
      name: "cluster-dns outside service-cidr",
      args: ["--service-cidr", "10.53.0.0/16", "--cluster-dns", "10.43.0.10"],
      message: 'Invalid --cluster-dns "10.43.0.10": expected an IPv4 address inside ' +
        "service-cidr 10.53.0.0/16, other than its first and last",
    },
    {
      name: "overlapping ranges",
      args: ["--service-cidr", "10.42.0.0/20"],
      message: 'Invalid --service-cidr "10.42.0.0/20": expected a range that does not overlap ' +
        "cluster-cidr 10.42.0.0/16",
    },
    {
      name: "a bad backend",
      args: ["--flannel-backend", "wireguard"],
      message: 'Invalid --flannel-backend "wireguard": expected one of vxlan, host-gw, none',
    },
  ];
  for (const c of refusals) {
    await t.step(c.name, async () => {
      await assert.rejects(
        load(c.args, c.world ?? {}),
        (err: Error) => err instanceof ConfigError && err.message === c.message,
      );
    });
  }
});

Deno.test("defaultClusterDnsOf() is the 10th address of the Service range", () => {
  assert.equal(defaultClusterDnsOf("10.43.0.0/16"), "10.43.0.10");
  assert.equal(defaultClusterDnsOf("192.168.16.0/20"), "192.168.16.10");
  assert.throws(() => defaultClusterDnsOf("fd00::/108"), RangeError);
});
