/**
 * Server-side apply and managedFields with the real kubectl, every supported minor (1.27 …
 * 1.33), each against a freshly started `skiff server --disable-agent`: `apply --server-side`
 * (create, update, no-op, dry run), a conflict (exit 1 and kubectl's advice), `--force-conflicts`,
 * `diff --server-side`, the migration of an object made by client-side apply, and the
 * managedFields `get --show-managed-fields` prints after create, edit, label, scale and apply.
 *
 * The behaviour is the same on every version: all of them send `application/apply-patch+yaml`
 * with `fieldManager=kubectl&force=…` (diff with `dryRun=All`), and all of them (1.26+) move
 * the `kubectl-client-side-apply` entry into their own after a server-side apply of an object
 * with a last-applied annotation (and save that annotation as `kubectl-last-applied`). Writes
 * that name no fieldManager (`scale`) are recorded under the User-Agent's prefix, which for
 * these side-by-side binaries is `kubectl.1.NN`, not `kubectl`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  Kubectl,
  KUBECTL_VERSIONS,
  kubectlBinary,
  type KubectlResult,
} from "../_support/kubectl.ts";
import { startTestServer, type TestServer } from "../_support/skiff_server.ts";

function deployment(replicas: number, image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: ${image}
        ports:
        - containerPort: 80
`;
}

function configMap(data: Record<string, string>): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join("\n")}
`;
}

const MANIFESTS: Record<string, string> = {
  "web-2.yaml": deployment(2, "nginx:1.25"),
  "web-3.yaml": deployment(3, "nginx:1.25"),
  "web-4.yaml": deployment(4, "nginx:1.26"),
  "cm-1.yaml": configMap({ a: "1" }),
  "cm-2.yaml": configMap({ a: "2", b: "3" }),
  "cm-3.yaml": configMap({ a: "2" }),
  // KUBE_EDITOR for `kubectl edit`: sets replicas to 9.
  "editor.sh": `#!/bin/sh
sed -i 's/^  replicas: [0-9]*$/  replicas: 9/' "$1"
`,
};

/** The fieldsV1 `kubectl apply --server-side` of web-N.yaml gives its manager. */
const APPLIED_WEB = {
  "f:metadata": { "f:labels": { "f:app": {} } },
  "f:spec": {
    "f:replicas": {},
    "f:selector": {},
    "f:template": {
      "f:metadata": { "f:labels": { "f:app": {} } },
      "f:spec": {
        "f:containers": {
          'k:{"name":"nginx"}': {
            ".": {},
            "f:image": {},
            "f:name": {},
            "f:ports": {
              'k:{"containerPort":80,"protocol":"TCP"}': { ".": {}, "f:containerPort": {} },
            },
          },
        },
      },
    },
  },
};

/** The fieldsV1 of `kubectl create deployment made --image=nginx` (kube-apiserver's). */
const CREATED_DEPLOYMENT = {
  "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
  "f:spec": {
    "f:progressDeadlineSeconds": {},
    "f:replicas": {},
    "f:revisionHistoryLimit": {},
    "f:selector": {},
    "f:strategy": {
      "f:rollingUpdate": { ".": {}, "f:maxSurge": {}, "f:maxUnavailable": {} },
      "f:type": {},
    },
    "f:template": {
      "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
      "f:spec": {
        "f:containers": {
          'k:{"name":"nginx"}': {
            ".": {},
            "f:image": {},
            "f:imagePullPolicy": {},
            "f:name": {},
            "f:resources": {},
            "f:terminationMessagePath": {},
            "f:terminationMessagePolicy": {},
          },
        },
        "f:dnsPolicy": {},
        "f:restartPolicy": {},
        "f:schedulerName": {},
        "f:securityContext": {},
        "f:terminationGracePeriodSeconds": {},
      },
    },
  },
};

/** What kubectl prints after a server-side apply conflict. */
const CONFLICT_ADVICE = `Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the \`--force-conflicts\` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
`;

interface Entry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

class Session {
  readonly kubectl: Kubectl;
  readonly #server: TestServer;

  constructor(kubectl: Kubectl, server: TestServer) {
    this.kubectl = kubectl;
    this.#server = server;
  }

  file(name: string): string {
    return join(this.#server.scratchDir, name);
  }

  #explain(args: readonly string[], r: KubectlResult): string {
    return `kubectl ${this.kubectl.version} ${args.join(" ")} exited ${r.code}\n` +
      `stdout:\n${r.stdout}\nstderr:\n${r.stderr}\nserver log tail:\n${this.#server.logTail(15)}`;
  }

  async run(
    args: readonly string[],
    want: { code?: number; env?: Record<string, string> } = {},
  ): Promise<KubectlResult> {
    const r = await this.kubectl.run(args, want.env ? { env: want.env } : {});
    assert.equal(r.code, want.code ?? 0, this.#explain(args, r));
    return r;
  }

  async says(args: readonly string[], stdout: string): Promise<void> {
    const r = await this.run(args);
    assert.equal(r.stdout, `${stdout}\n`, this.#explain(args, r));
  }

  async get(args: readonly string[]): Promise<Record<string, unknown>> {
    const r = await this.run(["get", ...args, "-o", "json", "--show-managed-fields"]);
    return JSON.parse(r.stdout);
  }

  async managedFields(args: readonly string[]): Promise<Entry[]> {
    const obj = await this.get(args);
    return ((obj.metadata as { managedFields?: Entry[] }).managedFields) ?? [];
  }

  /** `manager/operation[/subresource]` of each entry, in the server's order. */
  async managers(args: readonly string[]): Promise<string[]> {
    return (await this.managedFields(args)).map((e) =>
      `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ""}`
    );
  }
}

async function scenario(t: Deno.TestContext, s: Session): Promise<void> {
  for (const [name, text] of Object.entries(MANIFESTS)) {
    await Deno.writeTextFile(s.file(name), text, { mode: 0o755 });
  }
  const f = (name: string) => s.file(name);
  const uaManager = `kubectl.${s.kubectl.version}`;

  await t.step("apply --server-side --dry-run=server persists nothing", async () => {
    await s.says(
      ["apply", "--server-side", "--dry-run=server", "-f", f("web-2.yaml")],
      "deployment.apps/web serverside-applied (server dry run)",
    );
    const r = await s.run(["get", "deployment", "web"], { code: 1 });
    assert.equal(r.stderr, 'Error from server (NotFound): deployments.apps "web" not found\n');
  });

  await t.step(
    "apply --server-side creates, updates and is a no-op when nothing changes",
    async () => {
      await s.says(
        ["apply", "--server-side", "-f", f("web-2.yaml")],
        "deployment.apps/web serverside-applied",
      );
      const entries = await s.managedFields(["deployment", "web"]);
      assert.equal(entries.length, 1);
      assert.deepEqual({ ...entries[0], time: undefined }, {
        apiVersion: "apps/v1",
        fieldsType: "FieldsV1",
        fieldsV1: APPLIED_WEB,
        manager: "kubectl",
        operation: "Apply",
        time: undefined,
      });
      await s.says(
        ["apply", "--server-side", "-f", f("web-3.yaml")],
        "deployment.apps/web serverside-applied",
      );
      const obj = await s.get(["deployment", "web"]);
      assert.equal((obj.spec as { replicas: number }).replicas, 3);
      const rv = (obj.metadata as { resourceVersion: string }).resourceVersion;
      await s.says(
        ["apply", "--server-side", "-f", f("web-3.yaml")],
        "deployment.apps/web serverside-applied",
      );
      const again = await s.get(["deployment", "web"]);
      assert.equal((again.metadata as { resourceVersion: string }).resourceVersion, rv);
    },
  );

  await t.step("a field changed by scale conflicts: exit 1 with kubectl's message", async () => {
    await s.says(["scale", "deployment/web", "--replicas=5"], "deployment.apps/web scaled");
    assert.deepEqual(await s.managers(["deployment", "web"]), [
      "kubectl/Apply",
      `${uaManager}/Update/scale`,
    ]);
    const r = await s.run(["apply", "--server-side", "-f", f("web-4.yaml")], { code: 1 });
    assert.equal(
      r.stderr,
      `error: Apply failed with 1 conflict: conflict with "${uaManager}" with subresource "scale" using apps/v1: .spec.replicas\n` +
        CONFLICT_ADVICE,
    );
    const obj = await s.get(["deployment", "web"]);
    assert.equal((obj.spec as { replicas: number }).replicas, 5);
  });

  await t.step(
    "diff --server-side shows what an apply would change, and changes nothing",
    async () => {
      const r = await s.run(
        ["diff", "--server-side", "--force-conflicts", "-f", f("web-4.yaml")],
        { code: 1 },
      );
      const diffLines = r.stdout.split("\n");
      const want = [
        "-  replicas: 5",
        "+  replicas: 4",
        "-      - image: nginx:1.25",
        "+      - image: nginx:1.26",
      ];
      for (const line of want) assert.ok(diffLines.includes(line), `${line} in:\n${r.stdout}`);
      const obj = await s.get(["deployment", "web"]);
      assert.equal((obj.spec as { replicas: number }).replicas, 5);
    },
  );

  await t.step("--force-conflicts takes the field over", async () => {
    await s.says(
      ["apply", "--server-side", "--force-conflicts", "-f", f("web-4.yaml")],
      "deployment.apps/web serverside-applied",
    );
    const obj = await s.get(["deployment", "web"]);
    assert.equal((obj.spec as { replicas: number }).replicas, 4);
    // The scale entry owned nothing else: it is gone.
    assert.deepEqual(await s.managers(["deployment", "web"]), ["kubectl/Apply"]);
    const same = await s.run(["diff", "--server-side", "-f", f("web-4.yaml")]);
    assert.equal(same.stdout, "");
  });

  await t.step("apply --server-side after a client-side apply migrates its ownership", async () => {
    await s.says(["apply", "-f", f("cm-1.yaml")], "configmap/cm created");
    assert.deepEqual(await s.managers(["configmap", "cm"]), ["kubectl-client-side-apply/Update"]);
    await s.says(
      ["apply", "--server-side", "-f", f("cm-2.yaml")],
      "configmap/cm serverside-applied",
    );
    const obj = await s.get(["configmap", "cm"]);
    assert.deepEqual(obj.data, { a: "2", b: "3" });
    const annotations = (obj.metadata as { annotations: Record<string, string> }).annotations;
    assert.equal(
      annotations["kubectl.kubernetes.io/last-applied-configuration"],
      '{"apiVersion":"v1","data":{"a":"2","b":"3"},"kind":"ConfigMap","metadata":{"name":"cm","namespace":"default"}}\n',
    );
    const entries = await s.managedFields(["configmap", "cm"]);
    assert.deepEqual(entries.map((e) => [e.manager, e.operation, e.fieldsV1]), [
      [
        "kubectl-last-applied",
        "Apply",
        {
          "f:metadata": {
            "f:annotations": { "f:kubectl.kubernetes.io/last-applied-configuration": {} },
          },
        },
      ],
      ["kubectl", "Apply", { "f:data": { "f:a": {}, "f:b": {} } }],
    ]);
    // A field the manifest no longer has is removed.
    await s.says(
      ["apply", "--server-side", "-f", f("cm-3.yaml")],
      "configmap/cm serverside-applied",
    );
    assert.deepEqual((await s.get(["configmap", "cm"])).data, { a: "2" });
  });

  await t.step("get --show-managed-fields after create, edit, label and scale", async () => {
    await s.says(["create", "deployment", "made", "--image=nginx"], "deployment.apps/made created");
    const created = await s.managedFields(["deployment", "made"]);
    assert.deepEqual(created.map((e) => [e.manager, e.operation, e.apiVersion, e.fieldsType]), [
      ["kubectl-create", "Update", "apps/v1", "FieldsV1"],
    ]);
    assert.deepEqual(created[0]?.fieldsV1, CREATED_DEPLOYMENT);
    const edit = await s.run(["edit", "deployment", "made"], {
      env: { KUBE_EDITOR: f("editor.sh") },
    });
    assert.equal(edit.stdout, "deployment.apps/made edited\n");
    await s.says(["label", "deployment", "made", "tier=web"], "deployment.apps/made labeled");
    const edited = await s.managedFields(["deployment", "made"]);
    const byManager = Object.fromEntries(edited.map((e) => [e.manager, e.fieldsV1]));
    assert.deepEqual(byManager["kubectl-edit"], { "f:spec": { "f:replicas": {} } });
    assert.deepEqual(byManager["kubectl-label"], {
      "f:metadata": { "f:labels": { "f:tier": {} } },
    });
    await s.says(["scale", "deployment/made", "--replicas=2"], "deployment.apps/made scaled");
    const yaml = (await s.run(["get", "deployment", "made", "-o", "yaml", "--show-managed-fields"]))
      .stdout;
    assert.match(
      yaml,
      /^ {2}managedFields:\n {2}- apiVersion: apps\/v1\n {4}fieldsType: FieldsV1\n/m,
    );
    assert.match(
      yaml,
      new RegExp(
        `^ {4}manager: ${
          uaManager.replace(".", "\\.")
        }\n {4}operation: Update\n {4}subresource: scale\n`,
        "m",
      ),
    );
    // The edit's only field went to the scale: its entry is gone.
    assert.deepEqual((await s.managers(["deployment", "made"])).sort(), [
      "kubectl-create/Update",
      "kubectl-label/Update",
      `${uaManager}/Update/scale`,
    ]);
    const plain = (await s.run(["get", "deployment", "made", "-o", "yaml"])).stdout;
    assert.doesNotMatch(plain, /managedFields/);
  });
}

for (const version of KUBECTL_VERSIONS) {
  Deno.test(`kubectl ${version} applies server-side against skiff server`, async (t) => {
    await kubectlBinary(version);
    await using server = await startTestServer({ args: ["--disable-controller-manager"] });
    const homeDir = join(server.scratchDir, "home");
    await Deno.mkdir(homeDir);
    const kubectl = new Kubectl(version, { kubeconfig: server.kubeconfig, homeDir });
    await scenario(t, new Session(kubectl, server));
  });
}
