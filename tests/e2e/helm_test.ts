/**
 * The real helm 4 (v4.1.4, client-go 0.35; from npm, see `tests/_support/helm.ts`) against a
 * real one-node `skiff server` with its agent, so that `--wait` sees Deployments become
 * available and hook Jobs complete with pods that really run. A chart written by the test —
 * a Deployment, a Service, ConfigMaps, a Secret, a CRD in `crds/` and an instance of it,
 * a pre-install/pre-upgrade ConfigMap hook (`before-hook-creation`) and a post-install/
 * post-upgrade Job hook (`hook-succeeded`) — is installed, upgraded with changed values
 * (dropping one ConfigMap), rolled back, listed, shown and uninstalled, once with helm 4's
 * default server-side apply and once with `--server-side=false`, helm 3's client-side
 * three-way merge patches (then migrated to server-side apply by an upgrade, as helm 4 does
 * for releases helm 3 made).
 *
 * helm talks to the server through a recording proxy, so the test also checks what it sent:
 * `apply-patch+yaml` or strategic merge patches (merge patches for custom resources), and its
 * release Secrets (`helm.sh/release.v1`) as protobuf bodies, also on delete.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { NODES } from "../../control/client/resources.ts";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { Helm, HELM_VERSION, type HelmResult } from "../_support/helm.ts";
import { RecordingProxy } from "../_support/recording_proxy.ts";
import { startTestServer } from "../_support/skiff_server.ts";

const IMAGE = "docker.io/skiff/busybox:1.36";
const PROTOBUF = "application/vnd.kubernetes.protobuf";
/** The `k8s\0` envelope every protobuf body starts with. */
const PROTOBUF_MAGIC = new Uint8Array([0x6b, 0x38, 0x73, 0x00]);
const HELM_TIMEOUT = "120s";

/** The chart's files, by path in the chart dir. */
function chartFiles(o: { group: string }): Record<string, string> {
  const crd = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `gadgets.${o.group}` },
    spec: {
      group: o.group,
      scope: "Namespaced",
      names: { plural: "gadgets", singular: "gadget", kind: "Gadget", shortNames: ["gdg"] },
      versions: [{
        name: "v1",
        served: true,
        storage: true,
        additionalPrinterColumns: [{ name: "Size", type: "integer", jsonPath: ".spec.size" }],
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: {
                type: "object",
                required: ["size"],
                properties: {
                  size: { type: "integer", minimum: 1 },
                  message: { type: "string" },
                  color: { type: "string", default: "blue" },
                },
              },
            },
          },
        },
      }],
    },
  };
  return {
    "Chart.yaml": [
      "apiVersion: v2",
      "name: demo",
      "version: 0.1.0",
      'appVersion: "1.0"',
      'kubeVersion: ">=1.27.0-0"',
      "",
    ].join("\n"),
    "values.yaml": ["replicas: 1", "message: hello", "extra: true", `image: ${IMAGE}`, ""].join(
      "\n",
    ),
    "crds/gadgets.yaml": JSON.stringify(crd, null, 2),
    "templates/config.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  message: {{ .Values.message | quote }}
  kubeVersion: {{ .Capabilities.KubeVersion.Version | quote }}
  hasDeployments: {{ .Capabilities.APIVersions.Has "apps/v1/Deployment" | quote }}
  hasGadgets: {{ .Capabilities.APIVersions.Has "${o.group}/v1" | quote }}
{{- if .Values.extra }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-extra
data:
  extra: "yes"
{{- end }}
`,
    "templates/secret.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-secret
type: Opaque
data:
  token: {{ printf "token-%s" .Values.message | b64enc }}
`,
    "templates/service.yaml": `apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-web
spec:
  selector:
    app: {{ .Release.Name }}-web
  ports:
  - name: http
    port: 80
    targetPort: http
`,
    "templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app: {{ .Release.Name }}-web
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}-web
      annotations:
        checksum/config: {{ .Values.message | sha256sum }}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: {{ .Values.image }}
        imagePullPolicy: Never
        command: ["sh", "-c", "mkdir -p /www && echo \\"$MESSAGE\\" > /www/index.html && exec httpd -f -p 8080 -h /www"]
        env:
        - name: MESSAGE
          valueFrom:
            configMapKeyRef:
              name: {{ .Release.Name }}-config
              key: message
        ports:
        - name: http
          containerPort: 8080
        readinessProbe:
          httpGet:
            path: /
            port: http
          periodSeconds: 1
        volumeMounts:
        - name: secret
          mountPath: /secret
          readOnly: true
      volumes:
      - name: secret
        secret:
          secretName: {{ .Release.Name }}-secret
`,
    "templates/gadget.yaml": `apiVersion: ${o.group}/v1
kind: Gadget
metadata:
  name: {{ .Release.Name }}-gadget
spec:
  size: {{ .Values.replicas }}
  message: {{ .Values.message | quote }}
`,
    "templates/hooks.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-pre
  annotations:
    "helm.sh/hook": pre-install,pre-upgrade
    "helm.sh/hook-delete-policy": before-hook-creation
data:
  revision: {{ .Release.Revision | quote }}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-post
  annotations:
    "helm.sh/hook": post-install,post-upgrade
    "helm.sh/hook-delete-policy": before-hook-creation,hook-succeeded
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: post
        image: ${IMAGE}
        imagePullPolicy: Never
        command: ["sh", "-c", "echo post-{{ .Release.Revision }}"]
`,
  };
}

async function writeChart(dir: string, o: { group: string }): Promise<void> {
  for (const [path, text] of Object.entries(chartFiles(o))) {
    const file = join(dir, path);
    await Deno.mkdir(join(file, ".."), { recursive: true });
    await Deno.writeTextFile(file, text);
  }
}

/** A helm release Secret's `release` value: base64 of gzipped release JSON. */
function decodeRelease(secretData: string): Record<string, unknown> {
  const once = Buffer.from(secretData, "base64").toString();
  const gz = Buffer.from(once, "base64");
  return JSON.parse(gunzipSync(gz).toString()) as Record<string, unknown>;
}

interface Mode {
  /** The step's name. */
  readonly name: string;
  readonly release: string;
  readonly namespace: string;
  readonly group: string;
  /** Flags of install, upgrade and rollback. */
  readonly flags: readonly string[];
  /** How helm waits: helm 4's kstatus watcher, or helm 3's polling (`legacy`). */
  readonly wait: "--wait" | "--wait=legacy";
  /** What the managedFields of helm's writes say. */
  readonly operation: "Apply" | "Update";
}

const MODES: readonly Mode[] = [
  {
    name: "server-side apply (helm 4's default)",
    release: "ssa",
    namespace: "helm-ssa",
    group: "ssa.helm.skiff.test",
    flags: [],
    wait: "--wait",
    operation: "Apply",
  },
  {
    name: "three-way merge patches (--server-side=false, helm 3's way)",
    release: "csa",
    namespace: "helm-csa",
    group: "csa.helm.skiff.test",
    flags: ["--server-side=false"],
    wait: "--wait=legacy",
    operation: "Update",
  },
];

Deno.test("helm 4 installs, upgrades, rolls back, lists and uninstalls charts on skiff server", async (t) => {
  await using server = await startTestServer({
    agent: true,
    args: ["--node-name", "helm-node"],
    readyTimeoutMs: 90_000,
  });
  using cluster = e2eCluster(server, { waitMs: 90_000 });
  const { runOk, json, eventually, client } = cluster;
  await using proxy = await RecordingProxy.start(server);
  const helm = new Helm({ kubeconfig: proxy.kubeconfig, homeDir: join(server.scratchDir, "helm") });
  const helmOk = async (args: readonly string[]): Promise<string> => {
    const r: HelmResult = await helm.run(args, { timeoutMs: 180_000 });
    assert.equal(
      r.code,
      0,
      `helm ${args.join(" ")} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\n` +
        `server log:\n${server.logTail(30)}`,
    );
    return r.stdout;
  };

  await t.step("helm is helm 4", async () => {
    assert.match(await helmOk(["version", "--short"]), new RegExp(`^${HELM_VERSION}\\+`));
  });

  await eventually("the node to be Ready", async () => {
    const node = await client.resource(NODES).get("helm-node").catch(() => undefined);
    return node?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ??
      false;
  });

  for (const mode of MODES) {
    const { release, namespace: ns, group } = mode;
    const chart = join(server.scratchDir, `chart-${release}`);
    await writeChart(chart, { group });
    const at = ["-n", ns];
    const writes = () =>
      proxy.requests.filter((r) => r.method !== "GET" && r.path.startsWith("/api"));
    const releaseSecret = async (revision: number) =>
      await json(["get", "secret", `sh.helm.release.v1.${release}.v${revision}`, ...at]);
    const web = () => json(["get", "deployment", `${release}-web`, ...at]);
    const preHookUid = async () =>
      (await json(["get", "configmap", `${release}-pre`, ...at])).metadata.uid as string;

    await t.step(`${mode.name}: install --wait`, async () => {
      proxy.clear();
      const out = await helmOk([
        "install",
        release,
        chart,
        ...at,
        "--create-namespace",
        mode.wait,
        "--timeout",
        HELM_TIMEOUT,
        ...mode.flags,
      ]);
      assert.match(out, /STATUS: deployed/);
      assert.match(out, /REVISION: 1/);

      const crd = await json(["get", "crd", `gadgets.${group}`]);
      assert.ok(
        crd.status.conditions.some((c: { type: string; status: string }) =>
          c.type === "Established" && c.status === "True"
        ),
      );
      const config = await json([
        "get",
        "configmap",
        `${release}-config`,
        ...at,
        "--show-managed-fields",
      ]);
      assert.deepEqual(config.data, {
        message: "hello",
        kubeVersion: (await json(["version"])).serverVersion.gitVersion,
        hasDeployments: "true",
        hasGadgets: "true",
      });
      assert.equal(config.metadata.labels["app.kubernetes.io/managed-by"], "Helm");
      assert.equal(config.metadata.annotations["meta.helm.sh/release-name"], release);
      assert.deepEqual(
        config.metadata.managedFields.map((m: { manager: string; operation: string }) =>
          `${m.manager}/${m.operation}`
        ),
        [`helm/${mode.operation}`],
      );
      const secret = await json(["get", "secret", `${release}-secret`, ...at]);
      assert.equal(atob(secret.data.token), "token-hello");
      const svc = await json(["get", "service", `${release}-web`, ...at]);
      assert.match(svc.spec.clusterIP, /^\d+\.\d+\.\d+\.\d+$/);
      const deploy = await web();
      assert.equal(deploy.status.readyReplicas, 1, "--wait waited for a ready pod");
      assert.equal(deploy.status.availableReplicas, 1);
      const gadget = await json(["get", `gadgets.${group}`, `${release}-gadget`, ...at]);
      assert.deepEqual(gadget.spec, { size: 1, message: "hello", color: "blue" });
      assert.match(
        await runOk(["get", `gdg.${group}`, ...at]),
        new RegExp(`${release}-gadget\\s+1\\s`),
      );
      assert.ok(await json(["get", "configmap", `${release}-extra`, ...at]));

      // Hooks: the pre-install ConfigMap stays; the post-install Job ran and was deleted.
      const pre = await json(["get", "configmap", `${release}-pre`, ...at]);
      assert.equal(pre.data.revision, "1");
      const jobs = await json(["get", "jobs", ...at]);
      assert.deepEqual(jobs.items, [], "hook-succeeded deleted the hook Job");
      const events = await json([
        "get",
        "events",
        ...at,
        "--field-selector",
        `involvedObject.kind=Job,involvedObject.name=${release}-post`,
      ]);
      assert.ok(
        events.items.some((e: { reason: string }) => e.reason === "Completed"),
        "the post-install Job completed",
      );

      // What helm sent: its release Secret as protobuf, the chart's objects by its method.
      const sent = writes();
      const releaseCreates = sent.filter((r) =>
        r.method === "POST" && r.path === `/api/v1/namespaces/${ns}/secrets` &&
        new TextDecoder().decode(r.body).includes(`sh.helm.release.v1.${release}.v1`)
      );
      assert.equal(releaseCreates.length, 1);
      assert.equal(releaseCreates[0]!.contentType, PROTOBUF, "the release Secret's create");
      assert.deepEqual(releaseCreates[0]!.body.subarray(0, 4), PROTOBUF_MAGIC);
      const releaseUpdates = sent.filter((r) =>
        r.path.startsWith(`/api/v1/namespaces/${ns}/secrets/sh.helm.release.v1.`)
      );
      assert.ok(releaseUpdates.length > 0);
      assert.ok(releaseUpdates.every((r) => r.contentType === PROTOBUF), "release updates");
      const deployWrite = sent.find((r) =>
        r.path.endsWith(`/deployments/${release}-web`) ||
        r.path.endsWith(`/namespaces/${ns}/deployments`)
      );
      assert.equal(
        deployWrite?.contentType,
        mode.operation === "Apply" ? "application/apply-patch+yaml" : "application/json",
      );

      const stored = await releaseSecret(1);
      assert.equal(stored.type, "helm.sh/release.v1");
      assert.equal(stored.metadata.labels.owner, "helm");
      assert.equal(stored.metadata.labels.status, "deployed");
      const decoded = decodeRelease(stored.data.release);
      assert.equal(decoded.name, release);
      assert.equal(decoded.version, 1);
      assert.equal((decoded.info as { status: string }).status, "deployed");
    });

    await t.step(`${mode.name}: upgrade --wait with changed values`, async () => {
      // A label another manager adds survives helm's upgrade, in either method.
      await runOk(["label", "configmap", `${release}-config`, ...at, "team=edge"]);
      const preBefore = await preHookUid();
      proxy.clear();
      const out = await helmOk([
        "upgrade",
        release,
        chart,
        ...at,
        "--set",
        "message=changed",
        "--set",
        "replicas=2",
        "--set",
        "extra=false",
        mode.wait,
        "--timeout",
        HELM_TIMEOUT,
        ...mode.flags,
      ]);
      assert.match(out, /REVISION: 2/);
      const config = await json(["get", "configmap", `${release}-config`, ...at]);
      assert.equal(config.data.message, "changed");
      assert.equal(config.metadata.labels.team, "edge");
      const deploy = await web();
      assert.equal(deploy.spec.replicas, 2);
      assert.equal(deploy.status.readyReplicas, 2);
      assert.equal(deploy.status.updatedReplicas, 2);
      assert.equal(
        deploy.spec.template.metadata.annotations["checksum/config"].length,
        64,
      );
      const secret = await json(["get", "secret", `${release}-secret`, ...at]);
      assert.equal(atob(secret.data.token), "token-changed");
      const gadget = await json(["get", `gadgets.${group}`, `${release}-gadget`, ...at]);
      assert.deepEqual(gadget.spec, { size: 2, message: "changed", color: "blue" });
      const gone = await cluster.run(["get", "configmap", `${release}-extra`, ...at]);
      assert.equal(gone.code, 1, "the ConfigMap the chart no longer renders is deleted");
      assert.match(gone.stderr, /NotFound/);
      const pre = await json(["get", "configmap", `${release}-pre`, ...at]);
      assert.equal(pre.data.revision, "2");
      assert.notEqual(pre.metadata.uid, preBefore, "before-hook-creation replaced the hook");
      assert.deepEqual((await json(["get", "jobs", ...at])).items, []);

      const patches = writes().filter((r) => r.method === "PATCH");
      const patchOf = (suffix: string) => patches.find((r) => r.path.endsWith(suffix));
      if (mode.operation === "Apply") {
        assert.equal(
          patchOf(`/deployments/${release}-web`)?.contentType,
          "application/apply-patch+yaml",
        );
        assert.equal(
          patchOf(`/gadgets/${release}-gadget`)?.contentType,
          "application/apply-patch+yaml",
        );
      } else {
        assert.equal(
          patchOf(`/deployments/${release}-web`)?.contentType,
          "application/strategic-merge-patch+json",
        );
        assert.equal(
          patchOf(`/gadgets/${release}-gadget`)?.contentType,
          "application/merge-patch+json",
          "custom resources get merge patches",
        );
      }
      const deletes = writes().filter((r) => r.method === "DELETE");
      assert.ok(deletes.some((r) => r.path.endsWith(`/configmaps/${release}-extra`)));
    });

    await t.step(`${mode.name}: rollback --wait`, async () => {
      proxy.clear();
      const out = await helmOk([
        "rollback",
        release,
        "1",
        ...at,
        mode.wait,
        "--timeout",
        HELM_TIMEOUT,
        ...mode.flags,
      ]);
      assert.match(out, /Rollback was a success/);
      const config = await json(["get", "configmap", `${release}-config`, ...at]);
      assert.equal(config.data.message, "hello");
      const deploy = await web();
      assert.equal(deploy.spec.replicas, 1);
      await eventually(
        "the rolled back Deployment to settle at 1 replica",
        async () => (await web()).status.replicas === 1,
      );
      const gadget = await json(["get", `gadgets.${group}`, `${release}-gadget`, ...at]);
      assert.deepEqual(gadget.spec, { size: 1, message: "hello", color: "blue" });
      assert.ok(await json(["get", "configmap", `${release}-extra`, ...at]), "recreated");
      assert.equal(
        atob((await json(["get", "secret", `${release}-secret`, ...at])).data.token),
        "token-hello",
      );
    });

    await t.step(`${mode.name}: list, history, status, get values`, async () => {
      const list = JSON.parse(await helmOk(["list", ...at, "-o", "json"]));
      assert.equal(list.length, 1);
      assert.equal(list[0].name, release);
      assert.equal(list[0].revision, "3");
      assert.equal(list[0].status, "deployed");
      assert.equal(list[0].chart, "demo-0.1.0");
      assert.equal(list[0].app_version, "1.0");
      const all = JSON.parse(await helmOk(["list", "-A", "-o", "json"]));
      assert.ok(all.some((r: { name: string }) => r.name === release));

      const history = JSON.parse(await helmOk(["history", release, ...at, "-o", "json"]));
      assert.deepEqual(
        history.map((h: { revision: number; status: string; description: string }) => [
          h.revision,
          h.status,
          h.description,
        ]),
        [
          [1, "superseded", "Install complete"],
          [2, "superseded", "Upgrade complete"],
          [3, "deployed", "Rollback to 1"],
        ],
      );

      const status = JSON.parse(await helmOk(["status", release, ...at, "-o", "json"]));
      assert.equal(status.version, 3);
      assert.equal(status.info.status, "deployed");
      assert.ok(status.info.resources["v1/ConfigMap"].length >= 2, "status lists the resources");
      assert.match(await helmOk(["status", release, ...at]), /STATUS: deployed/);
      const values = JSON.parse(
        await helmOk(["get", "values", release, ...at, "--revision", "2", "-o", "json"]),
      );
      assert.deepEqual(values, { message: "changed", replicas: 2, extra: false });

      const secrets = await json(["get", "secrets", ...at, "-l", `owner=helm,name=${release}`]);
      assert.deepEqual(
        secrets.items.map((s: { metadata: { labels: { version: string; status: string } } }) =>
          `${s.metadata.labels.version}:${s.metadata.labels.status}`
        ).sort(),
        ["1:superseded", "2:superseded", "3:deployed"],
      );
    });

    if (mode.operation === "Apply") {
      await t.step(
        `${mode.name}: an upgrade whose pods never get ready fails and rolls back`,
        async () => {
          const r = await helm.run([
            "upgrade",
            release,
            chart,
            ...at,
            "--set",
            "image=docker.io/skiff/nothing:0",
            "--rollback-on-failure",
            "--timeout",
            "20s",
          ], { timeoutMs: 120_000 });
          assert.notEqual(r.code, 0, `the upgrade failed\n${r.stdout}\n${r.stderr}`);
          assert.match(r.stderr, /rollback/i);
          const history = JSON.parse(await helmOk(["history", release, ...at, "-o", "json"]));
          assert.deepEqual(
            history.slice(-2).map((h: { revision: number; status: string }) =>
              `${h.revision}:${h.status}`
            ),
            ["4:failed", "5:deployed"],
          );
          const deploy = await web();
          assert.equal(deploy.spec.template.spec.containers[0].image, IMAGE, "rolled back");
          await eventually(
            "the rolled back Deployment to be available again",
            async () => (await web()).status.availableReplicas === 1,
          );
        },
      );
    }

    if (mode.operation === "Update") {
      await t.step(
        `${mode.name}: an upgrade with --server-side=true migrates to server-side apply`,
        async () => {
          proxy.clear();
          await helmOk([
            "upgrade",
            release,
            chart,
            ...at,
            "--set",
            "message=migrated",
            "--server-side=true",
            "--wait",
            "--timeout",
            HELM_TIMEOUT,
          ]);
          const config = await json([
            "get",
            "configmap",
            `${release}-config`,
            ...at,
            "--show-managed-fields",
          ]);
          assert.equal(config.data.message, "migrated");
          const helmEntries = config.metadata.managedFields.filter((m: { manager: string }) =>
            m.manager === "helm"
          );
          assert.deepEqual(
            helmEntries.map((m: { operation: string }) => m.operation),
            ["Apply"],
            "helm's Update entry became its Apply entry",
          );
          const patches = writes().filter((r) => r.path.endsWith(`/configmaps/${release}-config`));
          assert.deepEqual(
            patches.map((r) => r.contentType),
            ["application/json-patch+json", "application/apply-patch+yaml"],
          );
        },
      );
    }

    await t.step(`${mode.name}: uninstall --wait`, async () => {
      proxy.clear();
      const out = await helmOk(["uninstall", release, ...at, mode.wait, "--timeout", HELM_TIMEOUT]);
      assert.match(out, new RegExp(`release "${release}" uninstalled`));
      for (const kind of ["deployment", "service", "secret", "configmap", `gadgets.${group}`]) {
        const items = (await json(["get", kind, ...at])).items as {
          metadata: { name: string };
        }[];
        const left = items.map((i) => i.metadata.name).filter((n) =>
          n.startsWith(`${release}-`) && n !== `${release}-pre`
        );
        assert.deepEqual(left, [], `${kind}s of the release are gone`);
      }
      const releases = await json(["get", "secrets", ...at, "-l", "owner=helm"]);
      assert.deepEqual(releases.items, [], "the release Secrets are gone");
      const deletes = writes().filter((r) =>
        r.method === "DELETE" && r.path.includes("/secrets/sh.helm.release.v1.")
      );
      assert.ok(deletes.length > 0);
      assert.ok(
        deletes.every((r) => r.contentType === PROTOBUF && r.status === 200),
        "release Secret deletes send protobuf DeleteOptions",
      );
      assert.deepEqual(JSON.parse(await helmOk(["list", ...at, "-o", "json"])), []);
      // helm never deletes CRDs (nor the hook it keeps by its policy).
      assert.ok(await json(["get", "crd", `gadgets.${group}`]));
      await eventually(
        "the release's pods to go",
        async () =>
          (await json(["get", "pods", ...at, "-l", `app=${release}-web`])).items.length === 0,
      );
    });
  }
});
