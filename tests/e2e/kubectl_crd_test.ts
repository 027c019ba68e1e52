/**
 * CustomResourceDefinitions with the real kubectl, every supported minor (1.27 … 1.33), against
 * a freshly started `skiff server --disable-agent`: apply a CRD, wait for it to be established,
 * then create, list (printer columns, `-o wide`, short name, `get all` by category), describe,
 * explain (1.27/1.28 read `/openapi/v2` as protobuf, 1.29+ `/openapi/v3`), watch, scale, edit,
 * and patch the status of a custom resource; see invalid objects refused with upstream's
 * messages (a type error, a CEL rule, an unknown field under Strict); read one object through
 * two versions; and delete the CRD, which deletes its custom resources.
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

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames: ["ct"]
    categories: ["all"]
  versions:
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
    additionalPrinterColumns:
    - name: Spec
      type: string
      description: The cron spec.
      jsonPath: .spec.cronSpec
    - name: Replicas
      type: integer
      jsonPath: .spec.replicas
    - name: Image
      type: string
      priority: 1
      jsonPath: .spec.image
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
    schema:
      openAPIV3Schema:
        type: object
        description: A CronTab runs an image on a schedule.
        properties:
          spec:
            type: object
            description: The schedule and what it runs.
            x-kubernetes-validations:
            - rule: "self.replicas <= self.maxReplicas"
              message: replicas must not exceed maxReplicas
            properties:
              cronSpec:
                type: string
                description: When to run, in cron syntax.
              image:
                type: string
                description: The image to run.
              replicas:
                type: integer
                minimum: 0
                default: 1
              maxReplicas:
                type: integer
                default: 10
            required: ["cronSpec"]
          status:
            type: object
            properties:
              replicas:
                type: integer
`;

function cronTab(name: string, spec: string): string {
  return `apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: ${name}
spec:
${spec}`;
}

const MANIFESTS: Record<string, string> = {
  "crd.yaml": CRD,
  "ct.yaml": cronTab("my-cron", '  cronSpec: "*/5 * * * *"\n  image: my-cron-image\n'),
  "second.yaml": cronTab("second", '  cronSpec: "0 0 * * *"\n  image: nightly\n'),
  "third.yaml": cronTab("third", '  cronSpec: "* * * * *"\n'),
  "bad.yaml": cronTab("bad", '  cronSpec: "* * * * *"\n  replicas: "three"\n'),
  "cel.yaml": cronTab("cel", '  cronSpec: "* * * * *"\n  replicas: 20\n'),
  "unknown.yaml": cronTab("unknown", '  cronSpec: "* * * * *"\n  colour: red\n'),
  "missing.yaml": cronTab("missing", "  image: x\n"),
  "editor.sh": "#!/bin/sh\nsed -i 's/image: my-cron-image/image: edited-image/' \"$1\"\n",
};

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

function cells(line: string): string[] {
  return line.trim().split(/ {2,}/);
}

const AGE = String.raw`(\d+[smhd])+`;

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

  async ok(args: readonly string[], env?: Readonly<Record<string, string>>): Promise<string> {
    const r = await this.kubectl.run(args, env ? { env } : {});
    assert.equal(r.code, 0, this.#explain(args, r));
    return r.stdout;
  }

  async says(args: readonly string[], want: string): Promise<void> {
    const out = await this.ok(args);
    assert.equal(out, `${want}\n`, this.#explain(args, { code: 0, stdout: out, stderr: "" }));
  }

  async fails(args: readonly string[], stderr: string | RegExp): Promise<void> {
    const r = await this.kubectl.run(args);
    assert.equal(r.code, 1, this.#explain(args, r));
    if (typeof stderr === "string") assert.equal(r.stderr, `${stderr}\n`, this.#explain(args, r));
    else assert.match(r.stderr, stderr, this.#explain(args, r));
  }
}

function assertTable(out: string, columns: readonly string[], rows: readonly RegExp[]): void {
  const [header = "", ...body] = lines(out);
  assert.deepEqual(cells(header), columns, out);
  assert.equal(body.length, rows.length, out);
  rows.forEach((row, i) => assert.match(body[i] ?? "", row, out));
}

async function scenario(t: Deno.TestContext, s: Session): Promise<void> {
  for (const [name, text] of Object.entries(MANIFESTS)) {
    await Deno.writeTextFile(s.file(name), text, { mode: 0o755 });
  }
  const f = (name: string) => s.file(name);
  const crd = "customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com";

  await t.step("apply the CRD and wait until it is established", async () => {
    await s.says(["apply", "-f", f("crd.yaml")], `${crd} created`);
    await s.says(
      [
        "wait",
        "--for",
        "condition=established",
        "--timeout=30s",
        "crd/crontabs.stable.example.com",
      ],
      `${crd} condition met`,
    );
    assertTable(await s.ok(["get", "crd"]), ["NAME", "CREATED AT"], [
      /^crontabs\.stable\.example\.com\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    ]);
    const names = await s.ok([
      "get",
      "crd",
      "crontabs.stable.example.com",
      "-o",
      'jsonpath={.status.acceptedNames.kind} {.status.conditions[?(@.type=="NamesAccepted")].reason}',
    ]);
    assert.equal(names, "CronTab NoConflicts");
  });

  await t.step("api-resources lists the custom resource", async () => {
    assertTable(
      await s.ok(["api-resources", "--api-group=stable.example.com"]),
      ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"],
      [/^crontabs\s+ct\s+stable\.example\.com\/v1\s+true\s+CronTab$/],
    );
  });

  await t.step("create and list with the printer columns", async () => {
    await s.says(["apply", "-f", f("ct.yaml")], "crontab.stable.example.com/my-cron created");
    await s.says(["create", "-f", f("second.yaml")], "crontab.stable.example.com/second created");
    assertTable(await s.ok(["get", "ct"]), ["NAME", "SPEC", "REPLICAS", "AGE"], [
      new RegExp(String.raw`^my-cron\s+\*/5 \* \* \* \*\s+1\s+${AGE}$`),
      new RegExp(String.raw`^second\s+0 0 \* \* \*\s+1\s+${AGE}$`),
    ]);
    assertTable(
      await s.ok(["get", "crontabs", "my-cron", "-o", "wide"]),
      ["NAME", "SPEC", "REPLICAS", "IMAGE", "AGE"],
      [new RegExp(String.raw`^my-cron\s+\*/5 \* \* \* \*\s+1\s+my-cron-image\s+${AGE}$`)],
    );
    await s.says(
      ["get", "crontab.stable.example.com/my-cron", "-o", "name"],
      "crontab.stable.example.com/my-cron",
    );
    // Defaults from the schema.
    assert.equal(
      await s.ok(["get", "ct", "my-cron", "-o", "jsonpath={.spec.replicas} {.spec.maxReplicas}"]),
      "1 10",
    );
  });

  await t.step("get all includes the category", async () => {
    const out = await s.ok(["get", "all"]);
    assert.match(out, /^crontab\.stable\.example\.com\/my-cron\s+\*\/5 \* \* \* \*\s+1\s+/m, out);
    assert.match(out, /^crontab\.stable\.example\.com\/second\s+/m, out);
  });

  await t.step("describe and explain", async () => {
    const described = await s.ok(["describe", "ct", "my-cron"]);
    assert.match(described, /^Kind:\s+CronTab$/m, described);
    assert.match(described, /^API Version:\s+stable\.example\.com\/v1$/m, described);
    assert.match(described, /^\s+Cron Spec:\s+\*\/5 \* \* \* \*$/m, described);
    const explained = await s.ok(["explain", "crontab.spec"]);
    assert.match(explained, /^KIND:\s+CronTab$/m, explained);
    assert.match(explained, /^FIELD:\s+spec <Object>$/m, explained);
    assert.match(explained, /The schedule and what it runs\./, explained);
    assert.match(explained, /^\s+cronSpec\s+<string> -required-$/m, explained);
    assert.match(explained, /When to run, in cron syntax\./, explained);
    const field = await s.ok(["explain", "ct.spec.replicas"]);
    assert.match(field, /^FIELD:\s+replicas <integer>$/m, field);
  });

  await t.step("watch sees new objects", async () => {
    await using watch = await s.kubectl.spawn(["get", "ct", "-w"]);
    await watch.waitForOutput(/^second\s/m);
    await s.says(["create", "-f", f("third.yaml")], "crontab.stable.example.com/third created");
    await watch.waitForOutput(/^third\s+\* \* \* \* \*\s+1\s+/m);
  });

  await t.step("scale, edit and the status subresource", async () => {
    await s.says(
      ["scale", "ct", "my-cron", "--replicas=3"],
      "crontab.stable.example.com/my-cron scaled",
    );
    assert.equal(await s.ok(["get", "ct", "my-cron", "-o", "jsonpath={.spec.replicas}"]), "3");
    const edited = await s.ok(["edit", "ct", "my-cron"], { KUBE_EDITOR: f("editor.sh") });
    assert.equal(edited, "crontab.stable.example.com/my-cron edited\n");
    assert.equal(
      await s.ok(["get", "ct", "my-cron", "-o", "jsonpath={.spec.image}"]),
      "edited-image",
    );
    // The main resource ignores status; the status subresource writes it (kubectl 1.24+).
    await s.ok(["patch", "ct", "my-cron", "--type=merge", "-p", '{"status":{"replicas":9}}']);
    assert.equal(await s.ok(["get", "ct", "my-cron", "-o", "jsonpath={.status.replicas}"]), "");
    await s.ok([
      "patch",
      "ct",
      "my-cron",
      "--subresource=status",
      "--type=merge",
      "-p",
      '{"status":{"replicas":9}}',
    ]);
    assert.equal(await s.ok(["get", "ct", "my-cron", "-o", "jsonpath={.status.replicas}"]), "9");
  });

  await t.step("invalid objects are refused with upstream's messages", async () => {
    await s.fails(
      ["apply", "-f", f("bad.yaml")],
      'The CronTab "bad" is invalid: \n' +
        '* spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"\n' +
        '* <nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    );
    await s.fails(
      ["apply", "-f", f("cel.yaml")],
      'The CronTab "cel" is invalid: spec: Invalid value: "object": replicas must not exceed maxReplicas',
    );
    await s.fails(
      ["apply", "-f", f("missing.yaml")],
      'The CronTab "missing" is invalid: spec.cronSpec: Required value',
    );
    await s.fails(
      ["apply", "-f", f("unknown.yaml")],
      `Error from server (BadRequest): error when creating "${
        f("unknown.yaml")
      }": CronTab in version "v1" cannot be handled as a CronTab: strict decoding error: unknown field "spec.colour"`,
    );
  });

  await t.step("another version reads the same object", async () => {
    assert.equal(
      await s.ok([
        "get",
        "crontabs.v1beta1.stable.example.com",
        "my-cron",
        "-o",
        "jsonpath={.apiVersion}",
      ]),
      "stable.example.com/v1beta1",
    );
  });

  await t.step("deleting the CRD deletes its custom resources", async () => {
    await s.says(
      ["delete", "crd", "crontabs.stable.example.com"],
      'customresourcedefinition.apiextensions.k8s.io "crontabs.stable.example.com" deleted',
    );
    const r = await s.kubectl.run(["get", "crd"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, "No resources found\n");
    await s.fails(
      ["get", "--raw", "/apis/stable.example.com/v1/namespaces/default/crontabs"],
      /NotFound/,
    );
  });
}

for (const version of KUBECTL_VERSIONS) {
  Deno.test(`kubectl ${version} works with CustomResourceDefinitions`, async (t) => {
    await kubectlBinary(version);
    await using server = await startTestServer({ args: ["--disable-controller-manager"] });
    const homeDir = join(server.scratchDir, "home");
    await Deno.mkdir(homeDir);
    const kubectl = new Kubectl(version, { kubeconfig: server.kubeconfig, homeDir });
    await scenario(t, new Session(kubectl, server));
  });
}
