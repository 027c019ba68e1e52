/**
 * The real kubectl, every supported minor (1.27 … 1.33), against a freshly started
 * `skiff server --disable-agent`: one server per version, so that cluster-scoped objects,
 * discovery and caches never leak between versions. Each test walks the everyday commands —
 * discovery, explain, client-side apply (create, change, no-op), server dry run, diff, create,
 * replace, get in every output and with selectors, watches, describe, label, annotate, the three
 * patch types, scale, set image, edit, delete in all its forms, wait, the imperative creates —
 * and checks what kubectl prints and its exit code, including the errors users see.
 *
 * There is no controller manager yet (no Deployment, ReplicaSet or namespace controller) and no
 * node agent: Deployments report `0/N` ready, pods stay `Pending`, and a deleted namespace stays
 * `Terminating`. The checks expect exactly that, as a real kube-apiserver without controllers
 * would answer.
 *
 * kubectl 1.32+ send the bodies of `create namespace|configmap|secret|deployment|…` as protobuf
 * (`application/vnd.kubernetes.protobuf`, no JSON fallback on 415); the test checks what each
 * version sends and that the server decodes it.
 *
 * Other commands have tests of their own: `auth can-i|whoami`, `create token` (security
 * tests), `apply --server-side` and `diff --server-side` (kubectl_server_side_apply_test.ts),
 * `exec`, `attach`, `cp`, `port-forward`, `logs` (kubectl_streaming_test.ts, with a node agent),
 * `rollout` (workload tests), custom resources (kubectl_crd_test.ts). `top` still fails on every
 * version: skiff serves no metrics API.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { KUBERNETES_VERSION, SKIFF_VERSION } from "../../control/version.ts";
import {
  Kubectl,
  KUBECTL_VERSIONS,
  kubectlBinary,
  type KubectlResult,
  type KubectlRunOptions,
} from "../_support/kubectl.ts";
import { startTestServer, type TestServer } from "../_support/skiff_server.ts";

const SERVER_GIT_VERSION = `${KUBERNETES_VERSION.gitVersion}+skiff${SKIFF_VERSION}`;

const MANIFESTS: Record<string, string> = {
  "web.yaml": deployment({ name: "web", replicas: 2, image: "nginx:1.25" }),
  "web-3.yaml": deployment({ name: "web", replicas: 3, image: "nginx:1.25" }),
  "web-5.yaml": deployment({ name: "web", replicas: 5, image: "nginx:1.25" }),
  "ghost.yaml": deployment({ name: "ghost", replicas: 1, image: "nginx:1.25" }),
  "bad.yaml": deployment({ name: "bad", replicas: -1, image: "nginx:1.25" }),
  "typo.yaml": deployment({ name: "typo", replicas: 1, image: "nginx:1.25" }).replace(
    "  replicas: 1\n",
    "  replicas: 1\n  replicaz: 2\n",
  ),
  "other.yaml": `apiVersion: v1
kind: Namespace
metadata:
  name: other
---
${deployment({ name: "api", replicas: 1, image: "busybox:1.36", namespace: "other" })}---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: other
data:
  mode: edge
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: builder
  namespace: other
`,
  "pod.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: lone
  labels:
    app: lone
spec:
  containers:
  - name: main
    image: busybox:1.36
    command: ["sleep", "3600"]
`,
  "svc.yaml": `apiVersion: v1
kind: Service
metadata:
  name: web
  labels:
    app: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 80
`,
  "held.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: held
  finalizers:
  - example.com/hold
data:
  k: v
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: held-too
  finalizers:
  - example.com/hold
data:
  k: v
`,
  "gen.yaml": `apiVersion: v1
kind: Pod
metadata:
  generateName: gen-
spec:
  containers:
  - name: main
    image: busybox:1.36
`,
  "blip.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: blip
data:
  k: v
`,
  "apps-v2.yaml": `apiVersion: apps/v2
kind: Deployment
metadata:
  name: future
spec: {}
`,
  "no-containers.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: empty
spec:
  containers: []
`,
  // Over ConfigMap's 1 MiB of data, and over the 3 MiB a request body may have.
  "big.yaml": configMapOfSize("big", 1_100_000),
  "huge.yaml": configMapOfSize("huge", 3_300_000),
  // KUBE_EDITOR for `kubectl edit`: bumps replicas to 9 in the file kubectl hands it.
  "editor.sh": `#!/bin/sh
sed -i 's/^  replicas: [0-9]*$/  replicas: 9/' "$1"
`,
};

function deployment(o: { name: string; replicas: number; image: string; namespace?: string }) {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${o.name}
${o.namespace ? `  namespace: ${o.namespace}\n` : ""}  labels:
    app: ${o.name}
spec:
  replicas: ${o.replicas}
  selector:
    matchLabels:
      app: ${o.name}
  template:
    metadata:
      labels:
        app: ${o.name}
    spec:
      containers:
      - name: main
        image: ${o.image}
        ports:
        - containerPort: 80
`;
}

function configMapOfSize(name: string, bytes: number): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: ${
    "x".repeat(bytes)
  }\n`;
}

/** The lines of `text`, trailing whitespace and empty lines dropped. */
function lines(text: string): string[] {
  return text.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "");
}

/** The cells of a kubectl table line. */
function cells(line: string): string[] {
  return line.trim().split(/ {2,}/);
}

/** Runs kubectl and explains failures with everything it printed and the server's log. */
class Session {
  readonly kubectl: Kubectl;
  readonly #server: TestServer;
  readonly dir: string;

  constructor(kubectl: Kubectl, server: TestServer) {
    this.kubectl = kubectl;
    this.#server = server;
    this.dir = server.scratchDir;
  }

  file(name: string): string {
    return join(this.dir, name);
  }

  #explain(args: readonly string[], r: KubectlResult): string {
    return `kubectl ${this.kubectl.version} ${args.join(" ")} exited ${r.code}\n` +
      `stdout:\n${r.stdout}\nstderr:\n${r.stderr}\nserver log tail:\n${this.#server.logTail(15)}`;
  }

  /** Runs kubectl and asserts exit code 0; returns stdout. */
  async ok(args: readonly string[], options?: KubectlRunOptions): Promise<string> {
    const r = await this.kubectl.run(args, options);
    assert.equal(r.code, 0, this.#explain(args, r));
    return r.stdout;
  }

  /** Runs kubectl and asserts it prints exactly `want` (plus a newline) with exit code 0. */
  async says(args: readonly string[], want: string, options?: KubectlRunOptions): Promise<void> {
    const out = await this.ok(args, options);
    assert.equal(
      out,
      want === "" ? "" : `${want}\n`,
      this.#explain(args, { code: 0, stdout: out, stderr: "" }),
    );
  }

  /** Runs kubectl and asserts exit code `code` and stderr matching `stderr`. */
  async fails(
    args: readonly string[],
    want: { code?: number; stderr: string | RegExp },
    options?: KubectlRunOptions,
  ): Promise<KubectlResult> {
    const r = await this.kubectl.run(args, options);
    const message = this.#explain(args, r);
    assert.equal(r.code, want.code ?? 1, message);
    if (typeof want.stderr === "string") {
      assert.equal(r.stderr, `${want.stderr}\n`, message);
    } else {
      assert.match(r.stderr, want.stderr, message);
    }
    return r;
  }

  /** The object as JSON (`get -o json`). */
  async getJson(args: readonly string[]): Promise<Record<string, unknown>> {
    return JSON.parse(await this.ok(["get", ...args, "-o", "json"]));
  }

  /** `get -o jsonpath=<path>`. */
  async jsonpath(args: readonly string[], path: string): Promise<string> {
    return await this.ok(["get", ...args, "-o", `jsonpath=${path}`]);
  }
}

/** Asserts that `out` is a table whose header has `columns` and whose rows match `rows`. */
function assertTable(out: string, columns: readonly string[], rows: readonly RegExp[]): void {
  const [header = "", ...body] = lines(out);
  assert.deepEqual(cells(header), columns, out);
  assert.equal(body.length, rows.length, out);
  rows.forEach((row, i) => assert.match(body[i] ?? "", row, out));
}

const AGE = String.raw`(\d+[smhd])+`;

async function scenario(t: Deno.TestContext, s: Session): Promise<void> {
  const k = s.kubectl;
  for (const [name, text] of Object.entries(MANIFESTS)) {
    await Deno.writeTextFile(s.file(name), text, { mode: 0o755 });
  }
  const f = (name: string) => s.file(name);

  await t.step("version", async () => {
    const doc = JSON.parse(await s.ok(["version", "-o", "json"]));
    assert.match(doc.clientVersion.gitVersion, new RegExp(`^v${k.version.replace(".", "\\.")}\\.`));
    assert.equal(doc.serverVersion.gitVersion, SERVER_GIT_VERSION);
    assert.equal(doc.serverVersion.major, KUBERNETES_VERSION.major);
    assert.equal(doc.serverVersion.minor, KUBERNETES_VERSION.minor);
    const r = await k.run(["version"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      k.minor === 27
        ? new RegExp(
          `^Server Version: version\\.Info\\{Major:"1", Minor:"33", GitVersion:"${
            SERVER_GIT_VERSION.replaceAll(".", "\\.").replace("+", "\\+")
          }"`,
          "m",
        )
        : new RegExp(
          `^Server Version: ${SERVER_GIT_VERSION.replaceAll(".", "\\.").replace("+", "\\+")}$`,
          "m",
        ),
    );
    const skew = `WARNING: version difference between client (${k.version}) and server (1.33) ` +
      "exceeds the supported minor version skew of +/-1";
    if (k.minor < 32) assert.match(r.stderr, new RegExp(skew.replace(/[()+/.]/g, "\\$&")));
    else assert.doesNotMatch(r.stderr, /version difference/);
  });

  await t.step("get --raw: health and discovery", async () => {
    assert.equal(await s.ok(["get", "--raw", "/readyz"]), "ok");
    const api = JSON.parse(await s.ok(["get", "--raw", "/api"]));
    assert.equal(api.kind, "APIVersions");
    assert.deepEqual(api.versions, ["v1"]);
    const apps = JSON.parse(await s.ok(["get", "--raw", "/apis/apps/v1"]));
    assert.equal(apps.groupVersion, "apps/v1");
    const scale = apps.resources.find((r: { name: string }) => r.name === "deployments/scale");
    assert.deepEqual([scale?.group, scale?.version, scale?.kind], ["autoscaling", "v1", "Scale"]);
  });

  await t.step("api-resources", async () => {
    const out = lines(await s.ok(["api-resources"]));
    assert.deepEqual(cells(out[0] ?? ""), [
      "NAME",
      "SHORTNAMES",
      "APIVERSION",
      "NAMESPACED",
      "KIND",
    ]);
    for (
      const row of [
        /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/,
        /^pods\s+po\s+v1\s+true\s+Pod$/,
        /^namespaces\s+ns\s+v1\s+false\s+Namespace$/,
        /^services\s+svc\s+v1\s+true\s+Service$/,
        /^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/,
        /^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob$/,
        /^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/,
        /^clusterroles\s+rbac\.authorization\.k8s\.io\/v1\s+false\s+ClusterRole$/,
      ]
    ) assert.ok(out.some((l) => row.test(l)), `no line matching ${row} in:\n${out.join("\n")}`);
    const apps = lines(await s.ok(["api-resources", "--api-group=apps", "-o", "name"]));
    assert.deepEqual(apps, [
      "controllerrevisions.apps",
      "daemonsets.apps",
      "deployments.apps",
      "replicasets.apps",
      "statefulsets.apps",
    ]);
    const namespaced = lines(await s.ok(["api-resources", "--namespaced=false", "-o", "name"]));
    assert.ok(namespaced.includes("nodes"), namespaced.join("\n"));
    assert.ok(!namespaced.includes("pods"), namespaced.join("\n"));
  });

  await t.step("api-versions", async () => {
    const out = lines(await s.ok(["api-versions"]));
    for (
      const gv of [
        "apps/v1",
        "batch/v1",
        "coordination.k8s.io/v1",
        "discovery.k8s.io/v1",
        "events.k8s.io/v1",
        "networking.k8s.io/v1",
        "policy/v1",
        "rbac.authorization.k8s.io/v1",
        "scheduling.k8s.io/v1",
        "storage.k8s.io/v1",
        "v1",
      ]
    ) assert.ok(out.includes(gv), `${gv} missing from:\n${out.join("\n")}`);
    assert.deepEqual(out, [...out].sort(), "api-versions prints sorted group-versions");
  });

  await t.step("explain deployment.spec and pod.spec.containers", async () => {
    const spec = await s.ok(["explain", "deployment.spec"]);
    assert.match(spec, /^KIND:\s+Deployment$/m);
    assert.match(spec, /^VERSION:\s+v1$/m);
    assert.match(spec, /^FIELD: spec <DeploymentSpec>$/m);
    assert.match(spec, /^ {2}replicas\t<integer>$/m);
    assert.match(spec, /^ {2}selector\t<LabelSelector> -required-$/m);
    assert.match(spec, /^ {2}strategy\t<DeploymentStrategy>$/m);
    assert.match(spec, /^ {2}template\t<PodTemplateSpec> -required-$/m);
    const containers = await s.ok(["explain", "pod.spec.containers"]);
    assert.match(containers, /^KIND:\s+Pod$/m);
    assert.match(containers, /^FIELD: containers <\[\]Container>$/m);
    assert.match(containers, /^ {2}image\t<string>$/m);
    assert.match(containers, /^ {2}name\t<string> -required-$/m);
    assert.match(containers, /^ {2}ports\t<\[\]ContainerPort>$/m);
    assert.match(containers, /^ {2}resources\t<ResourceRequirements>$/m);
    const field = await s.ok(["explain", "deployment.spec.replicas"]);
    assert.match(field, /^FIELD: replicas <integer>$/m);
  });

  await t.step("apply -f: created, configured, unchanged", async () => {
    await s.says(["apply", "-f", f("web.yaml")], "deployment.apps/web created");
    assert.equal(await s.jsonpath(["deployment", "web"], "{.spec.replicas}"), "2");
    await s.says(["apply", "-f", f("web-3.yaml")], "deployment.apps/web configured");
    assert.equal(await s.jsonpath(["deployment", "web"], "{.spec.replicas}"), "3");
    await s.says(["apply", "-f", f("web-3.yaml")], "deployment.apps/web unchanged");
    const obj = await s.getJson(["deployment", "web"]);
    const meta = obj.metadata as { generation: number; annotations: Record<string, string> };
    assert.equal(meta.generation, 2);
    assert.equal(
      JSON.parse(meta.annotations["kubectl.kubernetes.io/last-applied-configuration"] ?? "")
        .spec.replicas,
      3,
    );
    await s.says(
      ["apply", "-f", f("other.yaml")],
      "namespace/other created\ndeployment.apps/api created\nconfigmap/settings created\n" +
        "serviceaccount/builder created",
    );
  });

  await t.step("apply --dry-run=server persists nothing", async () => {
    await s.says(
      ["apply", "--dry-run=server", "-f", f("web-5.yaml")],
      "deployment.apps/web configured (server dry run)",
    );
    await s.says(
      ["apply", "--dry-run=server", "-f", f("ghost.yaml")],
      "deployment.apps/ghost created (server dry run)",
    );
    assert.equal(await s.jsonpath(["deployment", "web"], "{.spec.replicas}"), "3");
    await s.fails(["get", "deployment", "ghost"], {
      stderr: 'Error from server (NotFound): deployments.apps "ghost" not found',
    });
  });

  await t.step("diff: exit 0 without a difference, 1 with one", async () => {
    const same = await k.run(["diff", "-f", f("web-3.yaml")]);
    assert.equal(same.code, 0, same.stderr);
    assert.equal(same.stdout, "");
    const changed = await k.run(["diff", "-f", f("web-5.yaml")]);
    assert.equal(changed.code, 1, changed.stderr);
    assert.match(changed.stdout, /^- {2}replicas: 3$/m);
    assert.match(changed.stdout, /^\+ {2}replicas: 5$/m);
    assert.match(changed.stdout, /^- {2}generation: 2$/m);
    assert.match(changed.stdout, /^\+ {2}generation: 3$/m);
    const created = await k.run(["diff", "-f", f("ghost.yaml")]);
    assert.equal(created.code, 1, created.stderr);
    assert.match(created.stdout, /^\+ {2}name: ghost$/m);
    assert.equal(await s.jsonpath(["deployment", "web"], "{.metadata.generation}"), "2");
  });

  await t.step("create -f", async () => {
    await s.says(["create", "-f", f("pod.yaml")], "pod/lone created");
    await s.says(["create", "-f", f("svc.yaml")], "service/web created");
    await s.fails(["create", "-f", f("svc.yaml")], {
      stderr: `Error from server (AlreadyExists): error when creating "${
        f("svc.yaml")
      }": services "web" already exists`,
    });
    const pod = await s.getJson(["pod", "lone"]);
    const spec = pod.spec as {
      restartPolicy: string;
      terminationGracePeriodSeconds: number;
      containers: { imagePullPolicy: string }[];
    };
    assert.equal(spec.restartPolicy, "Always");
    assert.equal(spec.terminationGracePeriodSeconds, 30);
    assert.equal(spec.containers[0]?.imagePullPolicy, "IfNotPresent");
    assert.equal((pod.status as { phase: string }).phase, "Pending");
    const generated = await s.ok(["create", "-f", f("gen.yaml")]);
    assert.match(generated, /^pod\/gen-[bcdfghjklmnpqrstvwxz2456789]{5} created\n$/);
    await s.says(
      ["delete", generated.split(" ")[0]!, "--wait=false"],
      generated.replace(
        /^pod\/(\S+) created\n$/,
        'pod "$1" deleted',
      ),
    );
    await s.fails(["apply", "-f", f("gen.yaml")], {
      stderr: /^error: from gen-: cannot use generate name with apply\n$/,
    });
    const ip = await s.jsonpath(["service", "web"], "{.spec.clusterIP}");
    assert.match(ip, /^10\.43\.\d+\.\d+$/);
  });

  await t.step("replace", async () => {
    const live = await s.ok(["get", "deployment", "web", "-o", "yaml"]);
    const edited = live.replace(/^ {2}replicas: 3$/m, "  replicas: 4");
    assert.notEqual(edited, live);
    await Deno.writeTextFile(f("live.yaml"), edited);
    await s.says(["replace", "-f", f("live.yaml")], "deployment.apps/web replaced");
    assert.equal(await s.jsonpath(["deployment", "web"], "{.spec.replicas}"), "4");
    // The same file again carries a resourceVersion that is no longer current.
    await s.fails(["replace", "-f", f("live.yaml")], {
      stderr:
        `Error from server (Conflict): error when replacing "${
          f("live.yaml")
        }": Operation cannot be fulfilled on deployments.apps "web": the object has been modified; ` +
        "please apply your changes to the latest version and try again",
    });
    // A manifest without resourceVersion replaces unconditionally.
    await s.says(["replace", "-f", f("web-3.yaml")], "deployment.apps/web replaced");
    assert.equal(await s.jsonpath(["deployment", "web"], "{.spec.replicas}"), "3");
    // --force deletes and creates again: a new object with a new uid.
    const uid = await s.jsonpath(["deployment", "web"], "{.metadata.uid}");
    await s.says(
      ["replace", "--force", "-f", f("web-3.yaml")],
      'deployment.apps "web" deleted\ndeployment.apps/web replaced',
    );
    assert.notEqual(await s.jsonpath(["deployment", "web"], "{.metadata.uid}"), uid);
    assert.equal(await s.jsonpath(["deployment", "web"], "{.metadata.generation}"), "1");
  });

  await t.step("get: tables, wide, yaml, json, name, jsonpath", async () => {
    assertTable(
      await s.ok(["get", "deployments"]),
      ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
      [new RegExp(`^web\\s+0/3\\s+0\\s+0\\s+${AGE}$`)],
    );
    assertTable(
      await s.ok(["get", "deployments", "-o", "wide"]),
      ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
      [new RegExp(`^web\\s+0/3\\s+0\\s+0\\s+${AGE}\\s+main\\s+nginx:1\\.25\\s+app=web$`)],
    );
    assertTable(
      await s.ok(["get", "pods"]),
      ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
      [new RegExp(`^lone\\s+0/1\\s+Pending\\s+0\\s+${AGE}$`)],
    );
    assertTable(
      await s.ok(["get", "pods", "-o", "wide"]),
      [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED NODE",
        "READINESS GATES",
      ],
      [
        new RegExp(
          `^lone\\s+0/1\\s+Pending\\s+0\\s+${AGE}\\s+<none>\\s+<none>\\s+<none>\\s+<none>$`,
        ),
      ],
    );
    assertTable(
      await s.ok(["get", "services"]),
      ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
      [
        new RegExp(`^kubernetes\\s+ClusterIP\\s+10\\.43\\.0\\.1\\s+<none>\\s+443/TCP\\s+${AGE}$`),
        new RegExp(`^web\\s+ClusterIP\\s+10\\.43\\.\\d+\\.\\d+\\s+<none>\\s+80/TCP\\s+${AGE}$`),
      ],
    );
    assertTable(
      await s.ok(["get", "configmaps", "-n", "other"]),
      ["NAME", "DATA", "AGE"],
      // Every namespace gets the cluster CA as kube-root-ca.crt.
      [new RegExp(`^kube-root-ca\\.crt\\s+1\\s+${AGE}$`), new RegExp(`^settings\\s+1\\s+${AGE}$`)],
    );
    assertTable(
      await s.ok(["get", "serviceaccounts", "-n", "other"]),
      ["NAME", "SECRETS", "AGE"],
      // Every namespace gets its default ServiceAccount.
      [new RegExp(`^builder\\s+0\\s+${AGE}$`), new RegExp(`^default\\s+0\\s+${AGE}$`)],
    );
    const yaml = parseYaml(await s.ok(["get", "deployment", "web", "-o", "yaml"])) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace: string; uid: string };
      spec: { replicas: number; strategy: { type: string } };
    };
    assert.equal(yaml.apiVersion, "apps/v1");
    assert.equal(yaml.kind, "Deployment");
    assert.equal(yaml.metadata.name, "web");
    assert.equal(yaml.metadata.namespace, "default");
    assert.match(yaml.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.equal(yaml.spec.replicas, 3);
    assert.equal(yaml.spec.strategy.type, "RollingUpdate");
    const list = await s.getJson(["deployments"]);
    assert.equal(list.kind, "List");
    assert.deepEqual(
      (list.items as { kind: string; metadata: { name: string } }[]).map((i) =>
        `${i.kind}/${i.metadata.name}`
      ),
      ["Deployment/web"],
    );
    await s.says(["get", "deployment", "web", "-o", "name"], "deployment.apps/web");
    await s.says(
      ["get", "pods,services", "-o", "name"],
      "pod/lone\nservice/kubernetes\nservice/web",
    );
    assert.equal(
      await s.jsonpath(["deployment", "web"], "{.spec.template.spec.containers[0].image}"),
      "nginx:1.25",
    );
    assert.equal(
      await s.jsonpath(["deployments", "-A"], "{range .items[*]}{.metadata.name} {end}"),
      // Cluster-wide lists come in storage key order: by namespace, then name.
      "web api ",
    );
    const all = lines(await s.ok(["get", "all", "-o", "name"]));
    assert.deepEqual(all, [
      "pod/lone",
      "service/kubernetes",
      "service/web",
      "deployment.apps/web",
    ]);
  });

  await t.step("get -A, -l, --field-selector, --show-labels, --sort-by", async () => {
    assertTable(
      await s.ok(["get", "deployments", "-A"]),
      ["NAMESPACE", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
      [
        new RegExp(`^default\\s+web\\s+0/3\\s+0\\s+0\\s+${AGE}$`),
        new RegExp(`^other\\s+api\\s+0/1\\s+0\\s+0\\s+${AGE}$`),
      ],
    );
    await s.says(
      ["get", "deployments", "-A", "-l", "app=api", "-o", "name"],
      "deployment.apps/api",
    );
    await s.says(
      ["get", "deployments", "-A", "-l", "app in (web, other)", "-o", "name"],
      "deployment.apps/web",
    );
    await s.says(
      ["get", "deployments", "-A", "-l", "app!=web", "-o", "name"],
      "deployment.apps/api",
    );
    await s.says(
      ["get", "deployments", "-A", "--field-selector", "metadata.namespace=other", "-o", "name"],
      "deployment.apps/api",
    );
    await s.says(
      ["get", "pods", "--field-selector", "status.phase=Pending,metadata.name=lone", "-o", "name"],
      "pod/lone",
    );
    const none = await k.run(["get", "pods", "--field-selector", "status.phase=Running"]);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, "");
    assert.equal(none.stderr, "No resources found in default namespace.\n");
    await s.fails(["get", "deployments", "--field-selector", "spec.replicas=1"], {
      stderr: /^Error from server \(BadRequest\): .*field label not supported: spec\.replicas\n$/,
    });
    // Upstream says "found '', expected: ',' or ')'" here; skiff's selector parser says "found
    // end of string, …" (control/api/selectors/label_selector.ts), hence only the tail is checked.
    await s.fails(["get", "pods", "-l", "app in (a"], {
      stderr: /^Error from server \(BadRequest\): .*expected: ',' or '\)'\n$/,
    });
    assertTable(
      await s.ok(["get", "deployments", "-A", "--show-labels"]),
      ["NAMESPACE", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "LABELS"],
      [
        new RegExp(`^default\\s+web\\s+0/3\\s+0\\s+0\\s+${AGE}\\s+app=web$`),
        new RegExp(`^other\\s+api\\s+0/1\\s+0\\s+0\\s+${AGE}\\s+app=api$`),
      ],
    );
    assertTable(
      await s.ok(["get", "deployments", "-A", "-L", "app,tier"]),
      ["NAMESPACE", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "APP", "TIER"],
      [
        new RegExp(`^default\\s+web\\s+0/3\\s+0\\s+0\\s+${AGE}\\s+web$`),
        new RegExp(`^other\\s+api\\s+0/1\\s+0\\s+0\\s+${AGE}\\s+api$`),
      ],
    );
    const byReplicas = lines(
      await s.ok(["get", "deployments", "-A", "--sort-by=.spec.replicas", "--no-headers"]),
    );
    assert.deepEqual(byReplicas.map((l) => cells(l)[1]), ["api", "web"]);
    const byNameDesc = lines(
      await s.ok(["get", "namespaces", "--sort-by=.metadata.name", "-o", "name"]),
    );
    assert.deepEqual(byNameDesc, [
      "namespace/default",
      "namespace/kube-node-lease",
      "namespace/kube-public",
      "namespace/kube-system",
      "namespace/other",
    ]);
    assertTable(
      await s.ok(["get", "namespaces", "other"]),
      ["NAME", "STATUS", "AGE"],
      [new RegExp(`^other\\s+Active\\s+${AGE}$`)],
    );
  });

  await t.step("get -w prints changes as they happen", async () => {
    {
      await using watch = await k.spawn(["get", "deployment", "web", "-w"]);
      await watch.waitForOutput(/^web\s+0\/3\s/m);
      await s.says(["scale", "deployment", "web", "--replicas=6"], "deployment.apps/web scaled");
      await watch.waitForOutput(/^web\s+0\/6\s/m);
    }
    {
      await using watch = await k.spawn(["get", "pods", "-w"]);
      await watch.waitForOutput(/^lone\s+0\/1\s+Pending/m);
      await s.ok(["run", "second", "--image=busybox:1.36", "--restart=Never", "--", "sleep", "60"]);
      const out = await watch.waitForOutput(/^second\s+0\/1\s+Pending/m);
      assert.match(lines(out)[0] ?? "", /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    }
    {
      await s.says(["apply", "-f", f("blip.yaml")], "configmap/blip created");
      await using watch = await k.spawn(["get", "configmaps", "-w", "--output-watch-events"]);
      await watch.waitForOutput(/^ADDED\s+blip\s+1\s/m);
      await s.says(["delete", "configmap", "blip"], 'configmap "blip" deleted');
      const out = await watch.waitForOutput(/^DELETED\s+blip\s+1\s/m);
      assert.match(lines(out)[0] ?? "", /^EVENT\s+NAME\s+DATA\s+AGE$/);
    }
    await s.says(["scale", "deployment", "web", "--replicas=3"], "deployment.apps/web scaled");
  });

  await t.step("describe", async () => {
    const deploy = await s.ok(["describe", "deployment", "web"]);
    assert.match(deploy, /^Name:\s+web$/m);
    assert.match(deploy, /^Namespace:\s+default$/m);
    assert.match(deploy, /^Labels:\s+app=web$/m);
    assert.match(deploy, /^Selector:\s+app=web$/m);
    assert.match(
      deploy,
      /^Replicas:\s+3 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$/m,
    );
    assert.match(deploy, /^StrategyType:\s+RollingUpdate$/m);
    assert.match(deploy, /^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
    assert.match(deploy, /^\s+Image:\s+nginx:1\.25$/m);
    assert.match(deploy, /^\s+Port:\s+80\/TCP$/m);
    const pod = await s.ok(["describe", "pod", "lone"]);
    assert.match(pod, /^Name:\s+lone$/m);
    assert.match(pod, /^Status:\s+Pending$/m);
    assert.match(pod, /^QoS Class:\s+BestEffort$/m);
    assert.match(pod, /^\s+Command:\n\s+sleep\n\s+3600$/m);
    const svc = await s.ok(["describe", "service", "web"]);
    assert.match(svc, /^Type:\s+ClusterIP$/m);
    assert.match(svc, /^Port:\s+<unset>\s+80\/TCP$/m);
    assert.match(svc, /^TargetPort:\s+80\/TCP$/m);
    await s.fails(["describe", "deployment", "nope"], {
      stderr: 'Error from server (NotFound): deployments.apps "nope" not found',
    });
  });

  await t.step("label and annotate", async () => {
    await s.says(["label", "deployment", "web", "tier=front"], "deployment.apps/web labeled");
    await s.fails(["label", "deployment", "web", "tier=back"], {
      stderr: "error: 'tier' already has a value (front), and --overwrite is false",
    });
    await s.says(
      ["label", "deployment", "web", "tier=back", "--overwrite"],
      "deployment.apps/web labeled",
    );
    assert.equal(await s.jsonpath(["deployment", "web"], "{.metadata.labels.tier}"), "back");
    await s.says(["get", "deployments", "-l", "tier=back", "-o", "name"], "deployment.apps/web");
    await s.says(["label", "deployment", "web", "tier-"], "deployment.apps/web unlabeled");
    assert.equal(await s.jsonpath(["deployment", "web"], "{.metadata.labels}"), '{"app":"web"}');
    // kubectl 1.27 prints "annotate" for "annotated" (its own message, whatever the server says).
    await s.says(
      ["annotate", "deployment", "web", "example.com/owner=edge-team"],
      `deployment.apps/web ${k.minor === 27 ? "annotate" : "annotated"}`,
    );
    assert.equal(
      await s.jsonpath(["deployment", "web"], "{.metadata.annotations.example\\.com/owner}"),
      "edge-team",
    );
    await s.says(["label", "pods", "--all", "batch=one"], "pod/lone labeled\npod/second labeled");
    await s.fails(["label", "deployment", "web", "bad key=x"], {
      stderr: 'The Deployment "web" is invalid: metadata.labels: Invalid value: "bad key": ' +
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and " +
        "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex " +
        "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    });
  });

  await t.step("patch: strategic, merge and JSON patch", async () => {
    const sidecar =
      '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:1.36"}]}}}}';
    await s.says(["patch", "deployment", "web", "-p", sidecar], "deployment.apps/web patched");
    // Strategic merge patch merges containers by name; without `$setElementOrder` the patch's
    // new items come first (`mergeSortedSlice` in apimachinery's strategicpatch).
    assert.equal(
      await s.jsonpath(["deployment", "web"], "{.spec.template.spec.containers[*].name}"),
      "side main",
    );
    await s.says(
      ["patch", "deployment", "web", "-p", sidecar],
      "deployment.apps/web patched (no change)",
    );
    await s.says(
      ["patch", "deployment", "web", "--type=merge", "-p", '{"spec":{"replicas":2}}'],
      "deployment.apps/web patched",
    );
    assert.equal(await s.jsonpath(["deployment", "web"], "{.spec.replicas}"), "2");
    await s.says(
      [
        "patch",
        "deployment",
        "web",
        "--type=json",
        "-p",
        '[{"op":"test","path":"/spec/template/spec/containers/0/name","value":"side"},' +
        '{"op":"remove","path":"/spec/template/spec/containers/0"}]',
      ],
      "deployment.apps/web patched",
    );
    assert.equal(
      await s.jsonpath(["deployment", "web"], "{.spec.template.spec.containers[*].name}"),
      "main",
    );
    // In a merge patch null deletes a key.
    await s.says(
      [
        "patch",
        "pod",
        "lone",
        "--type=merge",
        "-p",
        '{"metadata":{"labels":{"batch":null,"patched":"yes"}}}',
      ],
      "pod/lone patched",
    );
    assert.equal(
      await s.jsonpath(["pod", "lone"], "{.metadata.labels}"),
      '{"app":"lone","patched":"yes"}',
    );
    await s.fails(
      [
        "patch",
        "deployment",
        "web",
        "--type=json",
        "-p",
        '[{"op":"test","path":"/spec/replicas","value":7}]',
      ],
      { stderr: /^Error from server: .*test|^The request is invalid/ },
    );
    await s.fails(["patch", "deployment", "web", "-p", '{"spec":{"replicas":-2}}'], {
      stderr: 'The Deployment "web" is invalid: spec.replicas: Invalid value: -2: ' +
        "must be greater than or equal to 0",
    });
  });

  await t.step("scale", async () => {
    await s.says(["scale", "deployment", "web", "--replicas=4"], "deployment.apps/web scaled");
    assert.equal(await s.jsonpath(["deployment", "web"], "{.spec.replicas}"), "4");
    await s.says(
      ["scale", "deployment", "web", "--current-replicas=4", "--replicas=5"],
      "deployment.apps/web scaled",
    );
    await s.fails(["scale", "deployment", "web", "--current-replicas=4", "--replicas=6"], {
      stderr: /^error: Expected replicas to be 4, was 5\n$/,
    });
    await s.says(
      ["scale", "deployment", "web", "--replicas=7", "--dry-run=server"],
      "deployment.apps/web scaled (server dry run)",
    );
    assert.equal(await s.jsonpath(["deployment", "web"], "{.spec.replicas}"), "5");
  });

  await t.step("set image", async () => {
    await s.says(
      ["set", "image", "deployment/web", "main=nginx:1.27"],
      "deployment.apps/web image updated",
    );
    assert.equal(
      await s.jsonpath(["deployment", "web"], "{.spec.template.spec.containers[0].image}"),
      "nginx:1.27",
    );
    await s.fails(["set", "image", "deployment/web", "nosuch=nginx:1.27"], {
      stderr: /unable to find container named "nosuch"/,
    });
  });

  await t.step("edit with KUBE_EDITOR", async () => {
    await s.says(["edit", "deployment", "web"], "deployment.apps/web edited", {
      env: { KUBE_EDITOR: f("editor.sh") },
    });
    assert.equal(await s.jsonpath(["deployment", "web"], "{.spec.replicas}"), "9");
    const unchanged = await k.run(["edit", "deployment", "web"], { env: { KUBE_EDITOR: "true" } });
    assert.equal(unchanged.code, 0, unchanged.stderr);
    assert.equal(unchanged.stderr, "Edit cancelled, no changes made.\n");
  });

  await t.step("error cases: not found, invalid, unknown field, missing namespace", async () => {
    await s.fails(["get", "deployment", "nope"], {
      stderr: 'Error from server (NotFound): deployments.apps "nope" not found',
    });
    await s.fails(["get", "foos"], {
      stderr: /^error: the server doesn't have a resource type "foos"\n$/,
    });
    await s.fails(["apply", "-f", f("bad.yaml")], {
      stderr: 'The Deployment "bad" is invalid: spec.replicas: Invalid value: -1: ' +
        "must be greater than or equal to 0",
    });
    await s.fails(["create", "-f", f("bad.yaml")], {
      stderr: 'The Deployment "bad" is invalid: spec.replicas: Invalid value: -1: ' +
        "must be greater than or equal to 0",
    });
    await s.fails(["apply", "-f", f("typo.yaml")], {
      stderr: new RegExp(
        `^Error from server \\(BadRequest\\): error when creating "${f("typo.yaml")}": ` +
          'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: ' +
          'unknown field "spec.replicaz"\n$',
      ),
    });
    await s.fails(["create", "-f", f("no-containers.yaml")], {
      stderr: 'The Pod "empty" is invalid: spec.containers: Required value',
    });
    await s.fails(["create", "-f", f("big.yaml")], {
      stderr: 'The ConfigMap "big" is invalid: []: Too long: may not be more than 1048576 bytes',
    });
    await s.fails(["create", "-f", f("huge.yaml")], {
      stderr: `Error from server (RequestEntityTooLarge): error when creating "${
        f("huge.yaml")
      }": Request entity too large: limit is 3145728`,
    });
    await s.fails(["apply", "-f", f("apps-v2.yaml")], {
      stderr: `error: resource mapping not found for name: "future" namespace: "" from "${
        f("apps-v2.yaml")
      }": no matches for kind "Deployment" in version "apps/v2"\nensure CRDs are installed first`,
    });
    await s.fails(["apply", "-n", "nowhere", "-f", f("web.yaml")], {
      stderr: `Error from server (NotFound): error when creating "${
        f("web.yaml")
      }": namespaces "nowhere" not found`,
    });
    await s.fails(["create", "-n", "nowhere", "-f", f("pod.yaml")], {
      stderr: `Error from server (NotFound): error when creating "${
        f("pod.yaml")
      }": namespaces "nowhere" not found`,
    });
    // The server answers `deployments.apps "web" not found`; kubectl then looks the namespace up
    // and reports that instead.
    await s.fails(["get", "deployments", "-n", "nowhere", "web"], {
      stderr: 'Error from server (NotFound): namespaces "nowhere" not found',
    });
  });

  await t.step("delete: by name, -l, --all, --wait", async () => {
    await s.says(
      ["delete", "deployment", "web", "--dry-run=server"],
      'deployment.apps "web" deleted (server dry run)',
    );
    await s.says(["get", "deployment", "web", "-o", "name"], "deployment.apps/web");
    // A pod no node has taken is deleted at once, without a grace period.
    await s.says(["delete", "pod", "lone"], 'pod "lone" deleted');
    await s.fails(["get", "pod", "lone"], {
      stderr: 'Error from server (NotFound): pods "lone" not found',
    });
    await s.fails(["delete", "deployment", "nope"], {
      stderr: 'Error from server (NotFound): deployments.apps "nope" not found',
    });
    await s.says(["delete", "deployments", "-A", "-l", "app=api"], 'deployment.apps "api" deleted');
    await s.says(
      ["delete", "configmaps", "-n", "other", "--all"],
      'configmap "kube-root-ca.crt" deleted\nconfigmap "settings" deleted',
    );
    // The root CA ConfigMap comes back, as upstream's root-ca-cert-publisher restores it.
    for (let i = 0;; i++) {
      const names = await s.ok(["get", "configmaps", "-n", "other", "-o", "name"]);
      if (names.trim() === "configmap/kube-root-ca.crt") break;
      assert.ok(i < 50, `kube-root-ca.crt was not restored: ${names}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // A finalizer keeps the object: `delete` waits until it is removed.
    await s.says(
      ["apply", "-f", f("held.yaml")],
      "configmap/held created\nconfigmap/held-too created",
    );
    await using deleting = await k.spawn(["delete", "configmap", "held", "--wait=true"]);
    await deleting.waitForOutput(/^configmap "held" deleted$/m);
    assert.notEqual(
      await s.jsonpath(["configmap", "held"], "{.metadata.deletionTimestamp}"),
      "",
    );
    await s.says(
      [
        "patch",
        "configmap",
        "held",
        "--type=json",
        "-p",
        '[{"op":"remove","path":"/metadata/finalizers"}]',
      ],
      "configmap/held patched",
    );
    const done = await deleting.finished();
    assert.equal(done.code, 0, done.stderr);
    await s.fails(["get", "configmap", "held"], {
      stderr: 'Error from server (NotFound): configmaps "held" not found',
    });
    await s.says(["delete", "pods", "--all", "--wait"], 'pod "second" deleted');
    await s.says(["delete", "service", "web", "--wait"], 'service "web" deleted');
  });

  await t.step("wait --for=delete", async () => {
    await s.says(
      ["delete", "configmap", "held-too", "--wait=false"],
      'configmap "held-too" deleted',
    );
    await using waiting = await k.spawn([
      "wait",
      "--for=delete",
      "configmap/held-too",
      "--timeout=30s",
      "-v=6",
    ]);
    // A wait that starts after the object is gone prints nothing: let it watch first.
    // kubectl logs `GET <url> 200 OK` (1.33: `"Response" verb="GET" url="<url>" status="200 OK"`).
    await waiting.waitForStderr(/GET"? \S*\/configmaps\?\S*watch=true\S* (status=")?200 OK/);
    await s.says(
      ["patch", "configmap", "held-too", "--type=merge", "-p", '{"metadata":{"finalizers":null}}'],
      "configmap/held-too patched",
    );
    const done = await waiting.finished();
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, "configmap/held-too condition met\n");
    await using scaled = await k.spawn([
      "wait",
      "--for=jsonpath={.spec.replicas}=8",
      "deployment/web",
      "--timeout=30s",
    ]);
    await s.says(["scale", "deployment", "web", "--replicas=8"], "deployment.apps/web scaled");
    const met = await scaled.finished();
    assert.equal(met.code, 0, met.stderr);
    assert.equal(met.stdout, "deployment.apps/web condition met\n");
    const timedOut = await k.run(["wait", "--for=delete", "deployment/web", "--timeout=1s"]);
    assert.equal(timedOut.code, 1);
    assert.match(
      timedOut.stderr,
      // client-go may first warn of a "very short watch" when the timeout cancels its watch.
      /^error: timed out waiting for the condition on deployments\/web$/m,
    );
  });

  await t.step("namespaces: terminating, protected", async () => {
    await s.says(["delete", "namespace", "other", "--wait=false"], 'namespace "other" deleted');
    assertTable(
      await s.ok(["get", "namespace", "other"]),
      ["NAME", "STATUS", "AGE"],
      [new RegExp(`^other\\s+Terminating\\s+${AGE}$`)],
    );
    await s.fails(["apply", "-n", "other", "-f", f("web.yaml")], {
      stderr:
        `Error from server (Forbidden): error when creating "${
          f("web.yaml")
        }": deployments.apps "web" is forbidden: unable to create new content in namespace other ` +
        "because it is being terminated",
    });
    await s.fails(["delete", "namespace", "default"], {
      stderr: 'Error from server (Forbidden): namespaces "default" is forbidden: ' +
        "this namespace may not be deleted",
    });
  });

  // kubectl 1.32+ send these as protobuf (see the module doc).
  await t.step("create namespace, configmap, secret", async () => {
    const made = await k.run(["create", "namespace", "made", "-v=8"]);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stdout, "namespace/made created\n");
    // What the typed client sent: JSON up to 1.31, protobuf from 1.32.
    assert.equal(
      /POST"? \S*\/api\/v1\/namespaces\S*[\s\S]*?Content-Type: (\S+)/.exec(made.stderr)?.[1],
      k.minor >= 32 ? "application/vnd.kubernetes.protobuf" : "application/json",
    );
    assert.equal(await s.jsonpath(["namespace", "made"], "{.status.phase}"), "Active");
    await s.says(
      [
        "create",
        "configmap",
        "cfg",
        "-n",
        "made",
        "--from-literal=mode=edge",
        "--from-literal=n=1",
      ],
      "configmap/cfg created",
    );
    assert.equal(
      await s.jsonpath(["configmap", "cfg", "-n", "made"], "{.data}"),
      '{"mode":"edge","n":"1"}',
    );
    await s.says(
      ["create", "secret", "generic", "sec", "-n", "made", "--from-literal=token=s3cr3t"],
      "secret/sec created",
    );
    assert.equal(
      await s.jsonpath(["secret", "sec", "-n", "made"], "{.data.token}"),
      btoa("s3cr3t"),
    );
    assert.equal(await s.jsonpath(["secret", "sec", "-n", "made"], "{.type}"), "Opaque");
    assertTable(
      await s.ok(["get", "secrets", "-n", "made"]),
      ["NAME", "TYPE", "DATA", "AGE"],
      [new RegExp(`^sec\\s+Opaque\\s+1\\s+${AGE}$`)],
    );
    await s.fails(["create", "configmap", "x", "-n", "nowhere"], {
      stderr: 'error: failed to create configmap: namespaces "nowhere" not found',
    });
    await s.fails(["create", "namespace", "made"], {
      stderr: 'Error from server (AlreadyExists): namespaces "made" already exists',
    });
    await s.fails(["create", "namespace", "Bad_Name"], {
      stderr:
        /^The Namespace "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of/,
    });
  });
}

for (const version of KUBECTL_VERSIONS) {
  Deno.test(`kubectl ${version} runs the everyday commands against skiff server`, async (t) => {
    // CI machines have every kubectl installed: a missing one fails here, loudly.
    await kubectlBinary(version);
    // The API server's own answers: no controller may add ReplicaSets, pods or status to the
    // objects these commands print (tests/e2e/control_loops_test.ts covers the controllers).
    await using server = await startTestServer({ args: ["--disable-controller-manager"] });
    const homeDir = join(server.scratchDir, "home");
    await Deno.mkdir(homeDir);
    const kubectl = new Kubectl(version, { kubeconfig: server.kubeconfig, homeDir });
    await scenario(t, new Session(kubectl, server));
  });
}
