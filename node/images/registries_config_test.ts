import assert from "node:assert/strict";
import { join } from "node:path";
import {
  HOSTS_TOML_HEADER,
  parseRegistriesConfig,
  renderRegistryHosts,
  writeRegistryHosts,
} from "./registries_config.ts";

const SOURCE = "/etc/skiff/registries.yaml";

function render(text: string) {
  return renderRegistryHosts(parseRegistriesConfig(text, { source: SOURCE }));
}

function toml(...lines: string[]): string {
  return [HOSTS_TOML_HEADER, ...lines].join("\n") + "\n";
}

Deno.test("renderRegistryHosts() turns registries.yaml into hosts.toml files and auths", async (t) => {
  const cases: {
    name: string;
    yaml: string;
    hosts: Record<string, string>;
    auths?: Record<string, Record<string, string>>;
  }[] = [
    {
      name: "a Docker Hub mirror falls back to registry-1.docker.io",
      yaml: 'mirrors:\n  docker.io:\n    endpoint: ["https://mirror.lan:5000"]\n',
      hosts: {
        "docker.io": toml(
          'server = "https://registry-1.docker.io"',
          "",
          '[host."https://mirror.lan:5000"]',
          '  capabilities = ["pull", "resolve"]',
        ),
      },
    },
    {
      name: "endpoints without a scheme: https, but http for loopback on another port",
      yaml: "mirrors:\n  docker.io:\n    endpoint:\n      - mirror.lan:5000\n" +
        "      - 127.0.0.1:5000\n      - localhost:443\n",
      hosts: {
        "docker.io": toml(
          'server = "https://registry-1.docker.io"',
          "",
          '[host."https://mirror.lan:5000"]',
          '  capabilities = ["pull", "resolve"]',
          "",
          '[host."http://127.0.0.1:5000"]',
          '  capabilities = ["pull", "resolve"]',
          "",
          '[host."https://localhost:443"]',
          '  capabilities = ["pull", "resolve"]',
        ),
      },
    },
    {
      name: "/v2 is the default path; another path overrides it; duplicates and the default go",
      yaml: "mirrors:\n  registry.lan:\n    endpoint:\n      - https://m.lan/v2/\n" +
        "      - https://m.lan\n      - https://cache.lan/v2/registry.lan\n" +
        "      - https://registry.lan\n",
      hosts: {
        "registry.lan": toml(
          'server = "https://registry.lan"',
          "",
          '[host."https://m.lan"]',
          '  capabilities = ["pull", "resolve"]',
          "",
          '[host."https://cache.lan/v2/registry.lan"]',
          '  capabilities = ["pull", "resolve"]',
          "  override_path = true",
        ),
      },
    },
    {
      name: "a plain-HTTP registry is its own mirror",
      yaml: 'mirrors:\n  "registry.lan:5000":\n    endpoint: ["http://registry.lan:5000"]\n',
      hosts: {
        "registry.lan:5000": toml(
          'server = "https://registry.lan:5000"',
          "",
          '[host."http://registry.lan:5000"]',
          '  capabilities = ["pull", "resolve"]',
        ),
      },
    },
    {
      name: "configs give the server and mirror endpoints their TLS and credentials",
      yaml: `
mirrors:
  docker.io:
    endpoint: ["https://mirror.lan:5000"]
configs:
  "mirror.lan:5000":
    auth: { username: u, password: p }
    tls: { ca_file: /ca.pem, cert_file: /c.pem, key_file: /k.pem }
  "registry.lan":
    auth: { auth: dTpw }
    tls: { insecure_skip_verify: true, cert_file: /only-cert.pem }
  docker.io:
    auth: { identitytoken: tok }
`,
      hosts: {
        "docker.io": toml(
          'server = "https://registry-1.docker.io"',
          "",
          '[host."https://mirror.lan:5000"]',
          '  capabilities = ["pull", "resolve"]',
          '  ca = "/ca.pem"',
          '  client = [["/c.pem", "/k.pem"]]',
        ),
        // Pulled by its own name, the mirror needs its TLS settings too.
        "mirror.lan:5000": toml(
          'server = "https://mirror.lan:5000"',
          'ca = "/ca.pem"',
          'client = [["/c.pem", "/k.pem"]]',
        ),
        "registry.lan": toml(
          'server = "https://registry.lan"',
          'client = "/only-cert.pem"',
          "skip_verify = true",
        ),
      },
      auths: {
        "registry-1.docker.io": { identitytoken: "tok" },
        "docker.io": { identitytoken: "tok" },
        "mirror.lan:5000": { username: "u", password: "p" },
        "registry.lan": { auth: "dTpw" },
      },
    },
    {
      name: '"*" becomes _default without a server, and is the configs fallback',
      yaml: `
mirrors:
  "*":
    endpoint: ["https://cache.lan"]
  quay.io:
    endpoint: ["https://quay-cache.lan"]
configs:
  "*":
    auth: { username: any, password: one }
    tls: { insecure_skip_verify: true }
  quay.io:
`,
      hosts: {
        "_default": toml(
          "skip_verify = true",
          "",
          '[host."https://cache.lan"]',
          '  capabilities = ["pull", "resolve"]',
          "  skip_verify = true",
        ),
        "quay.io": toml(
          'server = "https://quay.io"',
          "",
          '[host."https://quay-cache.lan"]',
          '  capabilities = ["pull", "resolve"]',
          "  skip_verify = true",
        ),
      },
      auths: {
        "cache.lan": { username: "any", password: "one" },
        "quay-cache.lan": { username: "any", password: "one" },
      },
    },
    {
      name: "nothing to write for a host with only credentials or no endpoints",
      yaml:
        'mirrors:\n  registry.lan: {}\nconfigs:\n  "a.lan":\n    auth: {username: u, password: ""}\n',
      hosts: {},
      auths: { "a.lan": { username: "u", password: "" } },
    },
    { name: "an empty file", yaml: "", hosts: {}, auths: {} },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const out = render(c.yaml);
      assert.deepEqual(Object.fromEntries(out.hosts), c.hosts);
      if (c.auths !== undefined) assert.deepEqual(out.auths, c.auths);
    });
  }
});

Deno.test("parseRegistriesConfig() names the file, key and value of what is wrong", async (t) => {
  const cases: { name: string; yaml: string; error: string; message: string }[] = [
    {
      name: "not YAML",
      yaml: "mirrors: [",
      error: "SyntaxError",
      message: `Cannot read registries config "${SOURCE}": `,
    },
    {
      name: "a list at the top",
      yaml: "- a\n",
      error: "TypeError",
      message: `Cannot read registries config "${SOURCE}": the document ["a"] must be a mapping`,
    },
    {
      name: "an unknown top-level key",
      yaml: "mirror: {}\n",
      error: "TypeError",
      message:
        `Cannot read registries config "${SOURCE}": the document.mirror {} is not a known key (mirrors, configs)`,
    },
    {
      name: "a misspelt endpoint key",
      yaml: "mirrors:\n  docker.io:\n    endpoints: [x]\n",
      error: "TypeError",
      message:
        `Cannot read registries config "${SOURCE}": mirrors.docker.io.endpoints ["x"] is not a known key (endpoint, rewrite)`,
    },
    {
      name: "an endpoint that is not a list",
      yaml: "mirrors:\n  docker.io:\n    endpoint: https://m\n",
      error: "TypeError",
      message:
        `Cannot read registries config "${SOURCE}": mirrors.docker.io.endpoint "https://m" must be a list of URLs`,
    },
    {
      name: "an endpoint with another scheme",
      yaml: "mirrors:\n  docker.io:\n    endpoint: [ftp://m]\n",
      error: "TypeError",
      message:
        `Cannot read registries config "${SOURCE}": mirrors.docker.io.endpoint[0] "ftp://m" is not an http:// or https:// registry URL`,
    },
    {
      name: "a registry name with a path",
      yaml: "configs:\n  docker.io/library: {}\n",
      error: "TypeError",
      message:
        `Cannot read registries config "${SOURCE}": configs "docker.io/library" is not a registry host ("host", "host:port" or "*")`,
    },
    {
      name: "a relative CA file",
      yaml: "configs:\n  r.lan:\n    tls: {ca_file: ca.pem}\n",
      error: "TypeError",
      message:
        `Cannot read registries config "${SOURCE}": configs.r.lan.tls.ca_file "ca.pem" must be an absolute path`,
    },
    {
      name: "a key without a certificate",
      yaml: "configs:\n  r.lan:\n    tls: {key_file: /k.pem}\n",
      error: "TypeError",
      message:
        `Cannot read registries config "${SOURCE}": configs.r.lan.tls.key_file "/k.pem" needs a cert_file`,
    },
    {
      name: "skip verify as a string",
      yaml: "configs:\n  r.lan:\n    tls: {insecure_skip_verify: 'yes'}\n",
      error: "TypeError",
      message:
        `Cannot read registries config "${SOURCE}": configs.r.lan.tls.insecure_skip_verify "yes" must be true or false`,
    },
    {
      name: "an auth that is not user:password, without showing it",
      yaml: "configs:\n  r.lan:\n    auth: {auth: bm9jb2xvbg==}\n",
      error: "TypeError",
      message:
        `Cannot read registries config "${SOURCE}": configs.r.lan.auth.auth "(hidden)" is not base64 of "user:password"`,
    },
    {
      name: "a password without a user",
      yaml: "configs:\n  r.lan:\n    auth: {password: secret}\n",
      error: "TypeError",
      message:
        `Cannot read registries config "${SOURCE}": configs.r.lan.auth.password "(hidden)" needs a username`,
    },
    {
      name: "a numeric user",
      yaml: "configs:\n  r.lan:\n    auth: {username: 12}\n",
      error: "TypeError",
      message:
        `Cannot read registries config "${SOURCE}": configs.r.lan.auth.username 12 must be a string`,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => parseRegistriesConfig(c.yaml, { source: SOURCE }), (err: Error) => {
        assert.equal(err.name, c.error);
        assert.ok(err.message.startsWith(c.message), err.message);
        if (c.error === "TypeError") assert.equal(err.message, c.message);
        return true;
      });
    });
  }
});

Deno.test("parseRegistriesConfig() reports rewrites and tokens as ignored by containerd 1.6", () => {
  const config = parseRegistriesConfig(
    'mirrors:\n  docker.io:\n    endpoint: [m.lan]\n    rewrite:\n      "^rancher/(.*)": "r/$1"\n' +
      "configs:\n  m.lan:\n    auth: {token: abc}\n",
    { source: SOURCE },
  );
  assert.deepEqual(config.mirrors.get("docker.io")?.rewrites, { "^rancher/(.*)": "r/$1" });
  assert.deepEqual(config.warnings, [
    `${SOURCE}: mirrors.docker.io.rewrite is ignored: containerd 1.6 cannot rewrite image names`,
    `${SOURCE}: configs.m.lan.auth.token is ignored: containerd 1.6 takes no bearer token from its config`,
  ]);
  assert.equal(config.configs.get("m.lan")?.auth, undefined);
});

Deno.test("writeRegistryHosts() writes changed files only and removes only its own", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff-registries-" });
  try {
    const certsDir = join(dir, "certs.d");
    const yamlPath = join(dir, "registries.yaml");
    await Deno.writeTextFile(
      yamlPath,
      "mirrors:\n  docker.io:\n    endpoint: [http://127.0.0.1:5000]\n" +
        '  "r.lan:5000":\n    endpoint: [http://r.lan:5000]\n' +
        "configs:\n  127.0.0.1:5000:\n    auth: {username: u, password: p}\n",
    );
    // A hosts.toml someone else wrote, and a CA kept in a directory skiff writes to.
    await Deno.mkdir(join(certsDir, "mine.lan"), { recursive: true });
    await Deno.writeTextFile(join(certsDir, "mine.lan", "hosts.toml"), 'server = "https://x"\n');

    const first = await writeRegistryHosts({ registriesPath: yamlPath, certsDir });
    assert.deepEqual(first.written, ["docker.io", "r.lan:5000"]);
    assert.deepEqual(first.removed, []);
    assert.deepEqual(first.auths, { "127.0.0.1:5000": { username: "u", password: "p" } });
    const hub = await Deno.readTextFile(join(certsDir, "docker.io", "hosts.toml"));
    assert.ok(hub.includes('[host."http://127.0.0.1:5000"]'));
    const mtime = (await Deno.stat(join(certsDir, "docker.io", "hosts.toml"))).mtime;
    await Deno.writeTextFile(join(certsDir, "r.lan:5000", "ca.pem"), "kept");

    const again = await writeRegistryHosts({ registriesPath: yamlPath, certsDir });
    assert.deepEqual(again.written, []);
    assert.deepEqual(again.unchanged, ["docker.io", "r.lan:5000"]);
    assert.deepEqual((await Deno.stat(join(certsDir, "docker.io", "hosts.toml"))).mtime, mtime);

    const last = await writeRegistryHosts({
      registriesYaml: "mirrors:\n  docker.io:\n    endpoint: [http://127.0.0.1:5001]\n",
      certsDir,
    });
    assert.deepEqual(last.written, ["docker.io"]);
    assert.deepEqual(last.removed, ["r.lan:5000"]);
    assert.deepEqual(last.auths, {});
    // skiff's hosts.toml went; the CA beside it and the foreign config stayed.
    assert.equal(await Deno.readTextFile(join(certsDir, "r.lan:5000", "ca.pem")), "kept");
    await assert.rejects(
      Deno.stat(join(certsDir, "r.lan:5000", "hosts.toml")),
      Deno.errors.NotFound,
    );
    assert.equal(
      await Deno.readTextFile(join(certsDir, "mine.lan", "hosts.toml")),
      'server = "https://x"\n',
    );

    const none = await writeRegistryHosts({ registriesYaml: "{}", certsDir });
    assert.deepEqual(none.removed, ["docker.io"]);
    await assert.rejects(Deno.stat(join(certsDir, "docker.io")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeRegistryHosts() names the file it cannot read", async () => {
  await assert.rejects(
    writeRegistryHosts({ registriesPath: "/nonexistent/registries.yaml", certsDir: "/tmp/x" }),
    { message: 'Cannot read registries config "/nonexistent/registries.yaml"' },
  );
});
