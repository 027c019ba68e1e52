import assert from "node:assert/strict";
import { stringify } from "yaml";
import { createTestApp, type TestApp } from "./api/_test_app.ts";
import {
  bootstrapTokenInfo,
  bootstrapTokenSecret,
  caCertHash,
  parseJoinToken,
} from "./api/auth/bootstrap_token.ts";
import type { KubeObject } from "./api/types/meta_v1.ts";
import type { ConfigDeps } from "./config.ts";
import type { ApiTls } from "./admin_connection.ts";
import {
  DEFAULT_TOKEN_GROUP,
  formatTable,
  parseGoDuration,
  runTokenCommand,
  type TokenCommandDeps,
} from "./token_command.ts";
import { BufferWriter, FakeClock } from "./util/mod.ts";

const T0 = Date.UTC(2025, 0, 1);
const CA = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n";
const SERVER = "https://127.0.0.1:6443";

function kubeconfigText(server = SERVER): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "default", cluster: { "certificate-authority-data": btoa(CA), server } }],
    contexts: [{ name: "default", context: { cluster: "default", user: "default" } }],
    "current-context": "default",
    users: [{
      name: "default",
      user: {
        "client-certificate-data": btoa("CERT PEM"),
        "client-key-data": btoa("KEY PEM"),
      },
    }],
  });
}

interface Harness {
  readonly deps: TokenCommandDeps;
  readonly stdout: BufferWriter;
  readonly stderr: BufferWriter;
  readonly clock: FakeClock;
  /** Paths the command read. */
  readonly reads: string[];
  /** The TLS material the command connected with. */
  readonly connected: ApiTls[];
  /** Requests the server saw, as `METHOD path?query`. */
  readonly requests: string[];
}

function harness(
  app: TestApp | null,
  options: { env?: Record<string, string>; uid?: number; files?: Record<string, string> } = {},
): Harness {
  const stdout = new BufferWriter();
  const stderr = new BufferWriter();
  const clock = new FakeClock(T0);
  const reads: string[] = [];
  const connected: ApiTls[] = [];
  const requests: string[] = [];
  const files = options.files ?? { "/home/pi/.skiff/kubeconfig.yaml": kubeconfigText() };
  const config: ConfigDeps = {
    env: options.env ?? { HOME: "/home/pi" },
    hostname: () => "Not A Valid Node Name",
    uid: () => options.uid ?? 1000,
    cwd: () => "/work",
    readTextFile(path) {
      reads.push(path);
      const text = files[path];
      return text === undefined
        ? Promise.reject(new Deno.errors.NotFound(path))
        : Promise.resolve(text);
    },
  };
  return {
    stdout,
    stderr,
    clock,
    reads,
    connected,
    requests,
    deps: {
      stdout,
      stderr,
      clock,
      config,
      connect(tls) {
        connected.push(tls);
        return {
          async fetch(url, init) {
            if (!app) {
              throw new TypeError("error sending request: Connection refused (os error 111)");
            }
            const u = new URL(url);
            requests.push(`${init?.method ?? "GET"} ${u.pathname}${u.search}`);
            return await app.app.request(url, init);
          },
          [Symbol.dispose]() {},
        };
      },
    },
  };
}

async function tokenSecrets(app: TestApp): Promise<KubeObject[]> {
  const res = await app.json("GET", "/api/v1/namespaces/kube-system/secrets");
  return (res.body.items as KubeObject[]).filter((s) => s.type === "bootstrap.kubernetes.io/token");
}

Deno.test("parseGoDuration() reads Go durations", async (t) => {
  const cases: [string, number | null][] = [
    ["24h", 86_400_000],
    ["1h30m", 5_400_000],
    ["90s", 90_000],
    ["1.5h", 5_400_000],
    ["250ms", 250],
    ["0", 0],
    ["-1h", -3_600_000],
    ["", null],
    ["1d", null],
    ["h", null],
    ["10", null],
  ];
  for (const [text, ms] of cases) {
    await t.step(text || "(empty)", () => assert.equal(parseGoDuration(text), ms));
  }
});

Deno.test("formatTable() pads columns as Go's tabwriter with kubeadm's settings", () => {
  assert.equal(
    formatTable([["TOKEN", "TTL", "X"], ["abcdef.0123456789abcdef", "23h", "last column"]]),
    "TOKEN                     TTL       X\n" +
      "abcdef.0123456789abcdef   23h       last column\n",
  );
});

Deno.test("runTokenCommand() refuses bad usage with exit code 2 before contacting the server", async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /^Usage: skiff token/],
    [["rotate"], /unknown command "rotate": expected one of create, list, delete/],
    [["create", "--bogus", "1"], /unknown flag "--bogus"/],
    [["create", "--ttl"], /flag "--ttl" needs a value/],
    [["create", "--ttl", "1d"], /invalid --ttl "1d"/],
    [["create", "--ttl=-1h"], /invalid --ttl "-1h"/],
    [["create", "--usages", "signing,bogus"], /invalid bootstrap token usage string: bogus/],
    [["create", "--groups", "system:masters"], /bootstrap group "system:masters" is invalid/],
    [
      ["create", "--usages", "signing", "--groups", "system:bootstrappers:x"],
      /--groups needs "authentication"/,
    ],
    [["create", "NOT.A.TOKEN"], /the token "NOT.A.TOKEN" does not match/],
    [["create", "abcdef.0123456789abcdef", "extra"], /unexpected argument "extra"/],
    [["list", "x"], /unexpected argument "x"/],
    [["list", "--ttl", "1h"], /unknown flag "--ttl"/],
    [["delete"], /missing the id or token to delete/],
    [["delete", "abcdef", "nope"], /given token or token id "nope" didn't match pattern/],
  ];
  for (const [args, re] of cases) {
    await t.step(args.join(" ") || "(none)", async () => {
      const h = harness(null);
      assert.equal(await runTokenCommand(args, h.deps), 2);
      assert.match(h.stderr.text(), re);
      assert.deepEqual(h.connected, []);
    });
  }
  await t.step("--help", async () => {
    const h = harness(null);
    assert.equal(await runTokenCommand(["create", "--help"], h.deps), 0);
    assert.match(h.stdout.text(), /--ttl DURATION/);
  });
});

Deno.test("runTokenCommand() finds the kubeconfig in the data directory", async (t) => {
  const cases: {
    name: string;
    args: string[];
    env?: Record<string, string>;
    uid?: number;
    path: string;
  }[] = [
    { name: "~/.skiff", args: [], path: "/home/pi/.skiff/kubeconfig.yaml" },
    { name: "root", args: [], uid: 0, path: "/var/lib/skiff/kubeconfig.yaml" },
    { name: "--data-dir", args: ["--data-dir", "state"], path: "/work/state/kubeconfig.yaml" },
    { name: "--data-dir=", args: ["--data-dir=/srv/skiff"], path: "/srv/skiff/kubeconfig.yaml" },
    {
      name: "SKIFF_DATA_DIR",
      args: [],
      env: { HOME: "/home/pi", SKIFF_DATA_DIR: "/data" },
      path: "/data/kubeconfig.yaml",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const h = harness(null, {
        files: {},
        ...(c.env ? { env: c.env } : {}),
        ...(c.uid !== undefined ? { uid: c.uid } : {}),
      });
      assert.equal(await runTokenCommand(["list", ...c.args], h.deps), 1);
      assert.deepEqual(h.reads, [c.path]);
      assert.match(
        h.stderr.text(),
        /^skiff token list: cannot read ".*kubeconfig.yaml": start "skiff server --data-dir /,
      );
    });
  }
  await t.step("no HOME and not root", async () => {
    const h = harness(null, { env: {} });
    assert.equal(await runTokenCommand(["list"], h.deps), 2);
    assert.match(h.stderr.text(), /cannot choose a data directory/);
  });
  await t.step("server not running", async () => {
    const h = harness(null);
    assert.equal(await runTokenCommand(["list"], h.deps), 1);
    assert.match(
      h.stderr.text(),
      /^skiff token list: cannot reach the API server at "https:\/\/127.0.0.1:6443": /,
    );
    assert.deepEqual(h.connected[0], {
      serverUrl: SERVER,
      caCertPem: CA,
      certPem: "CERT PEM",
      keyPem: "KEY PEM",
    });
  });
});

Deno.test("runTokenCommand() create makes a 24h token and prints it as a K10 join token", async () => {
  await using app = await createTestApp();
  const h = harness(app);
  assert.equal(await runTokenCommand(["create"], h.deps), 0, h.stderr.text());
  const printed = h.stdout.text();
  assert.match(printed, /^K10[0-9a-f]{64}::[a-z0-9]{6}\.[a-z0-9]{16}\n$/);
  const join = parseJoinToken(printed);
  assert.equal(join.caHash, caCertHash(CA));
  assert.deepEqual(h.requests, ["POST /api/v1/namespaces/kube-system/secrets"]);
  const [secret, ...rest] = await tokenSecrets(app);
  assert.equal(rest.length, 0);
  assert.equal(secret!.metadata?.name, `bootstrap-token-${join.id}`);
  assert.deepEqual(bootstrapTokenInfo(secret!), {
    id: join.id,
    secret: join.secret,
    expiration: "2025-01-02T00:00:00Z",
    usages: ["authentication", "signing"],
    description: "",
    groups: DEFAULT_TOKEN_GROUP,
  });
});

Deno.test("runTokenCommand() create takes a token, ttl, description, usages and groups", async () => {
  await using app = await createTestApp();
  const h = harness(app);
  const args = [
    "create",
    "abcdef.0123456789abcdef",
    "--ttl",
    "0",
    "--description=for the pole at km 12",
    "--usages",
    "authentication",
    "--groups",
    "system:bootstrappers:site-a,system:bootstrappers:site-b",
  ];
  assert.equal(await runTokenCommand(args, h.deps), 0, h.stderr.text());
  assert.equal(h.stdout.text(), `K10${caCertHash(CA)}::abcdef.0123456789abcdef\n`);
  const [secret] = await tokenSecrets(app);
  assert.deepEqual(bootstrapTokenInfo(secret!), {
    id: "abcdef",
    secret: "0123456789abcdef",
    expiration: "",
    usages: ["authentication"],
    description: "for the pole at km 12",
    groups: "system:bootstrappers:site-a,system:bootstrappers:site-b",
  });
  // The same token again: the server's AlreadyExists, exit 1.
  const again = harness(app);
  assert.equal(await runTokenCommand(["create", "abcdef.0123456789abcdef"], again.deps), 1);
  assert.equal(
    again.stderr.text(),
    'skiff token create: secrets "bootstrap-token-abcdef" already exists\n',
  );
  // Signing only: no default group.
  const signing = harness(app);
  assert.equal(
    await runTokenCommand(["create", "--usages", "signing", "--ttl", "1h"], signing.deps),
    0,
  );
  const id = parseJoinToken(signing.stdout.text()).id;
  const s = (await tokenSecrets(app)).find((x) => x.metadata?.name === `bootstrap-token-${id}`)!;
  assert.equal(bootstrapTokenInfo(s).groups, "");
  assert.equal(bootstrapTokenInfo(s).expiration, "2025-01-01T01:00:00Z");
});

Deno.test("runTokenCommand() list prints kubeadm's columns", async () => {
  await using app = await createTestApp();
  const put = async (secret: unknown) => {
    const res = await app.json("POST", "/api/v1/namespaces/kube-system/secrets", { body: secret });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  };
  await put(bootstrapTokenSecret({
    id: "aaaaaa",
    secret: "0123456789abcdef",
    expirationMs: T0 + 23 * 3600_000 + 59 * 60_000,
    description: "edge site",
    groups: [DEFAULT_TOKEN_GROUP],
  }));
  await put(
    bootstrapTokenSecret({ id: "bbbbbb", secret: "fedcba9876543210", usages: ["signing"] }),
  );
  await put({
    ...bootstrapTokenSecret({ id: "cccccc", secret: "0123456789abcdef" }),
    metadata: { name: "bootstrap-token-zzzzzz", namespace: "kube-system" },
  });
  const h = harness(app);
  assert.equal(await runTokenCommand(["list"], h.deps), 0, h.stderr.text());
  assert.deepEqual(h.requests, [
    "GET /api/v1/namespaces/kube-system/secrets?fieldSelector=type%3Dbootstrap.kubernetes.io%2Ftoken",
  ]);
  assert.equal(
    h.stdout.text(),
    [
      "TOKEN                     TTL         EXPIRES                USAGES                   DESCRIPTION   EXTRA GROUPS",
      "aaaaaa.0123456789abcdef   23h         2025-01-01T23:59:00Z   authentication,signing   edge site     system:bootstrappers:skiff:default-node-token",
      "bbbbbb.fedcba9876543210   <forever>   <never>                signing                  <none>        <none>",
      "",
    ].join("\n"),
  );
  assert.equal(
    h.stderr.text(),
    "bootstrap token name is not of the form 'bootstrap-token-(token-id)': bootstrap-token-zzzzzz\n",
  );
});

Deno.test("runTokenCommand() delete takes ids, tokens and join tokens", async () => {
  await using app = await createTestApp();
  for (const id of ["aaaaaa", "bbbbbb", "cccccc"]) {
    const res = await app.json("POST", "/api/v1/namespaces/kube-system/secrets", {
      body: bootstrapTokenSecret({ id, secret: "0123456789abcdef" }),
    });
    assert.equal(res.status, 201);
  }
  const h = harness(app);
  const code = await runTokenCommand(
    [
      "delete",
      "aaaaaa",
      "bbbbbb.0123456789abcdef",
      `K10${caCertHash(CA)}::cccccc.0123456789abcdef`,
      "dddddd",
    ],
    h.deps,
  );
  assert.equal(code, 1);
  assert.equal(
    h.stdout.text(),
    'bootstrap token "aaaaaa" deleted\nbootstrap token "bbbbbb" deleted\nbootstrap token "cccccc" deleted\n',
  );
  assert.equal(h.stderr.text(), 'skiff token delete: bootstrap token "dddddd" not found\n');
  assert.deepEqual(await tokenSecrets(app), []);
  assert.equal(h.connected.length, 1, "one connection for all deletes");
});
