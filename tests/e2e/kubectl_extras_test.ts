/**
 * The less everyday kubectl commands, every supported minor (1.27 … 1.33), against a fresh
 * `skiff server --disable-agent` per version (controllers and scheduler on, so Deployments make
 * ReplicaSets, pods and events): `get --raw` (also `create|replace|delete --raw`, a paginated
 * list and a WatchList stream with its `k8s.io/initial-events-end` bookmark), deletecollection
 * (`delete --raw` on a collection, with selectors and dry run), `kubectl proxy` (reads, writes
 * and a watch through it), `cluster-info`, `events` (filters, JSON, `-w`), `auth reconcile`
 * (create, add, `--remove-extra-permissions`, `--remove-extra-subjects`, a changed roleRef),
 * impersonation (`--as`, `--as-group`; refused to a service account without the right), and the
 * answers of an API server without aggregation (`get apiservices`, `top`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { KUBECTL_VERSIONS, kubectlBinary, type KubectlVersion } from "../_support/kubectl.ts";
import { startTestServer } from "../_support/skiff_server.ts";

const NS = "extras";

function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex -- the escape sequences kubectl 1.27 colours with
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** Non-empty lines of newline-delimited JSON. */
// deno-lint-ignore no-explicit-any -- the test reads what it needs of each event
function jsonLines(text: string): any[] {
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}

function deployment(name: string, replicas: number): string {
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "c", image: "docker.io/skiff/busybox:1.36" }] },
      },
    },
  });
}

/** The RBAC objects `auth reconcile` gets, as a YAML stream. */
function rbac(o: {
  suffix: string;
  verbs: readonly string[];
  subjects: readonly string[];
  roleRef: "Role" | "ClusterRole";
}): string {
  const users = o.subjects.map((name) => ({
    kind: "User",
    name,
    apiGroup: "rbac.authorization.k8s.io",
  }));
  return [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: `reconciled-${o.suffix}` },
      rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: o.verbs }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "pod-reader", namespace: NS },
      rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "readers", namespace: NS },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: o.roleRef,
        name: o.roleRef === "Role" ? "pod-reader" : `reconciled-${o.suffix}`,
      },
      subjects: users,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `reconciled-${o.suffix}` },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: `reconciled-${o.suffix}`,
      },
      subjects: [{ kind: "Group", name: "devs", apiGroup: "rbac.authorization.k8s.io" }],
    },
  ].map((doc) => stringify(doc)).join("---\n");
}

async function scenario(t: Deno.TestContext, version: KubectlVersion): Promise<void> {
  await using server = await startTestServer();
  using cluster = e2eCluster(server, { version });
  const { run, runOk, json, eventually, kubectl } = cluster;
  const at = ["-n", NS];
  const scratch = server.scratchDir;
  await runOk(["create", "namespace", NS]);

  await t.step("get --raw: objects, pages, errors; create, replace and delete --raw", async () => {
    const served = JSON.parse(await runOk(["get", "--raw", "/version"]));
    assert.equal(served.major, "1");
    assert.equal(JSON.parse(await runOk(["get", "--raw", "/apis"])).kind, "APIGroupList");
    assert.equal(await runOk(["get", "--raw", "/readyz"]), "ok");

    const file = join(scratch, "raw.json");
    const cm = (value: string) =>
      JSON.stringify({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "raw" },
        data: { value },
      });
    await Deno.writeTextFile(file, cm("1"));
    const created = JSON.parse(
      await runOk(["create", "--raw", `/api/v1/namespaces/${NS}/configmaps`, "-f", file]),
    );
    assert.equal(created.metadata.name, "raw");
    assert.equal(created.metadata.namespace, NS);
    assert.match(created.metadata.uid, /^[0-9a-f-]{36}$/);
    await Deno.writeTextFile(file, cm("2"));
    const replaced = JSON.parse(
      await runOk(["replace", "--raw", `/api/v1/namespaces/${NS}/configmaps/raw`, "-f", file]),
    );
    assert.equal(replaced.data.value, "2");
    assert.equal(replaced.metadata.uid, created.metadata.uid);
    const got = JSON.parse(
      await runOk(["get", "--raw", `/api/v1/namespaces/${NS}/configmaps/raw`]),
    );
    assert.deepEqual(got.data, { value: "2" });

    // A paginated list: a continue token, then the rest.
    const page = JSON.parse(
      await runOk(["get", "--raw", `/api/v1/namespaces/${NS}/configmaps?limit=1`]),
    );
    assert.equal(page.kind, "ConfigMapList");
    assert.equal(page.items.length, 1);
    assert.ok(page.metadata.continue);
    const rest = JSON.parse(
      await runOk([
        "get",
        "--raw",
        `/api/v1/namespaces/${NS}/configmaps?limit=5&continue=${
          encodeURIComponent(page.metadata.continue)
        }`,
      ]),
    );
    assert.deepEqual(
      [...page.items, ...rest.items].map((i: { metadata: { name: string } }) => i.metadata.name),
      ["kube-root-ca.crt", "raw"],
    );

    const deleted = JSON.parse(
      await runOk(["delete", "--raw", `/api/v1/namespaces/${NS}/configmaps/raw`]),
    );
    assert.equal(deleted.kind, "Status");
    assert.equal(deleted.status, "Success");
    assert.equal(deleted.details.name, "raw");

    const missing = await run(["get", "--raw", `/api/v1/namespaces/${NS}/configmaps/raw`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Error from server \(NotFound\): configmaps "raw" not found/);
    const nowhere = await run(["get", "--raw", "/no/such/path"]);
    assert.equal(nowhere.code, 1);
    assert.match(
      nowhere.stderr,
      /^Error from server \(NotFound\): the server could not find the requested resource/,
    );
  });

  await t.step(
    "get --raw: a WatchList stream ends its initial events with a bookmark",
    async () => {
      await runOk(["create", "configmap", "wl-a", ...at, "--from-literal=k=v"]);
      await runOk(["create", "configmap", "wl-b", ...at, "--from-literal=k=v"]);
      const list = await json(["get", "configmaps", ...at]);
      const base = `/api/v1/namespaces/${NS}/configmaps?watch=1`;
      const watchList =
        `${base}&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`;
      const events = jsonLines(await runOk(["get", "--raw", `${watchList}&timeoutSeconds=1`]));
      const end = events.findIndex((e) =>
        e.type === "BOOKMARK" &&
        e.object.metadata.annotations?.["k8s.io/initial-events-end"] === "true"
      );
      assert.ok(end > 0, `an initial-events-end bookmark in ${JSON.stringify(events)}`);
      assert.deepEqual(
        events.slice(0, end).map((e) => `${e.type} ${e.object.metadata.name}`).sort(),
        ["ADDED kube-root-ca.crt", "ADDED wl-a", "ADDED wl-b"],
      );
      const bookmark = events[end];
      assert.equal(bookmark.object.kind, "ConfigMap");
      assert.equal(bookmark.object.apiVersion, "v1");
      assert.ok(
        Number(bookmark.object.metadata.resourceVersion) >= Number(list.metadata.resourceVersion),
        "the bookmark's resourceVersion is not older than the list's",
      );
      // sendInitialEvents=false: only changes, so nothing in a quiet second.
      const quiet = await runOk([
        "get",
        "--raw",
        `${base}&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&timeoutSeconds=1`,
      ]);
      assert.equal(quiet.trim(), "");
      const refused = await run(["get", "--raw", `${base}&sendInitialEvents=true`]);
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr,
        /The ListOptions "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan/,
      );
    },
  );

  await t.step(
    "deletecollection: delete --raw on a collection, with selectors and dry run",
    async () => {
      for (const name of ["dc-1", "dc-2", "dc-3"]) {
        await runOk(["create", "configmap", name, ...at]);
      }
      await runOk(["label", "configmap", "dc-1", "dc-2", ...at, "group=doomed"]);
      const path = `/api/v1/namespaces/${NS}/configmaps`;
      const dry = JSON.parse(
        await runOk(["delete", "--raw", `${path}?labelSelector=group%3Ddoomed&dryRun=All`]),
      );
      assert.equal(dry.kind, "ConfigMapList");
      assert.equal(dry.items.length, 2);
      assert.ok((await json(["get", "configmap", "dc-1", ...at])).metadata.uid, "dry run kept it");
      const gone = JSON.parse(
        await runOk(["delete", "--raw", `${path}?labelSelector=group%3Ddoomed`]),
      );
      assert.deepEqual(
        gone.items.map((i: { metadata: { name: string } }) => i.metadata.name).sort(),
        ["dc-1", "dc-2"],
      );
      const byField = JSON.parse(
        await runOk(["delete", "--raw", `${path}?fieldSelector=metadata.name%3Ddc-3`]),
      );
      assert.deepEqual(
        byField.items.map((i: { metadata: { name: string } }) => i.metadata.name),
        ["dc-3"],
      );
      const left = await json(["get", "configmaps", ...at]);
      assert.deepEqual(
        left.items.map((i: { metadata: { name: string } }) => i.metadata.name).filter((n: string) =>
          n.startsWith("dc-")
        ),
        [],
      );
      assert.equal(
        (await runOk(["auth", "can-i", "deletecollection", "configmaps", ...at])).trim(),
        "yes",
      );
    },
  );

  await t.step("kubectl proxy passes reads, writes and watches through", async () => {
    await using proxy = await kubectl.spawn(["proxy", "--port=0"]);
    const out = await proxy.waitForOutput(/Starting to serve on 127\.0\.0\.1:\d+/);
    const port = /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(out)![1];
    const base = `http://127.0.0.1:${port}`;
    const served = await (await fetch(`${base}/version`)).json();
    assert.equal(served.major, "1");
    const post = await fetch(`${base}/api/v1/namespaces/${NS}/configmaps`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ metadata: { name: "via-proxy" }, data: { k: "v" } }),
    });
    assert.equal(post.status, 201);
    assert.equal((await post.json()).metadata.name, "via-proxy");
    const get = await fetch(`${base}/api/v1/namespaces/${NS}/configmaps/via-proxy`);
    assert.equal(get.status, 200);
    assert.deepEqual((await get.json()).data, { k: "v" });
    const missing = await fetch(`${base}/api/v1/namespaces/${NS}/configmaps/nothing`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).reason, "NotFound");
    const watch = await fetch(
      `${base}/api/v1/namespaces/${NS}/configmaps?watch=1&fieldSelector=metadata.name%3Dvia-proxy&timeoutSeconds=1`,
    );
    assert.equal(watch.status, 200);
    const events = jsonLines(await watch.text());
    assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), [
      "ADDED via-proxy",
    ]);
    const del = await fetch(`${base}/api/v1/namespaces/${NS}/configmaps/via-proxy`, {
      method: "DELETE",
    });
    assert.equal(del.status, 200);
    await del.body?.cancel();
  });

  await t.step("cluster-info names the control plane and the cluster DNS Service", async () => {
    const out = stripAnsi(await runOk(["cluster-info"]));
    assert.match(out, new RegExp(`Kubernetes control plane is running at ${server.url}\\n`));
    assert.match(
      out,
      new RegExp(
        `CoreDNS is running at ${server.url}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy`,
      ),
    );
  });

  await t.step("events: list, --for, --types, -o json, -A and -w", async () => {
    await run(["apply", "-f", "-"], deployment("web", 1));
    await eventually("the Deployment's events", async () => {
      const out = await runOk(["events", ...at]);
      return /ScalingReplicaSet/.test(out) && /SuccessfulCreate/.test(out) &&
        /FailedScheduling/.test(out);
    });
    const all = (await runOk(["events", ...at])).split("\n");
    assert.match(all[0]!, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    assert.ok(
      all.some((l) =>
        /Normal\s+ScalingReplicaSet\s+Deployment\/web\s+Scaled up replica set web-/.test(l)
      ),
    );
    assert.ok(
      all.some((l) =>
        /Normal\s+SuccessfulCreate\s+ReplicaSet\/web-\w+\s+Created pod: web-/.test(l)
      ),
    );

    const forWeb = (await runOk(["events", ...at, "--for", "deployment/web"])).trim().split("\n");
    assert.ok(forWeb.length >= 2);
    assert.ok(forWeb.slice(1).every((l) => /Deployment\/web\s/.test(l)), forWeb.join("\n"));

    const warnings = (await runOk(["events", ...at, "--types=Warning"])).trim().split("\n");
    assert.ok(warnings.length >= 2);
    assert.ok(warnings.slice(1).every((l) => /\sWarning\s+FailedScheduling\s+Pod\/web-/.test(l)));

    const list = JSON.parse(await runOk(["events", ...at, "-o", "json"]));
    assert.equal(list.kind, "EventList");
    assert.ok(list.items.some((e: { reason: string }) => e.reason === "ScalingReplicaSet"));

    const everywhere = (await runOk(["events", "-A"])).split("\n");
    assert.match(everywhere[0]!, /^NAMESPACE\s+LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    assert.ok(everywhere.some((l) => l.startsWith(`${NS} `)));

    await using watching = await kubectl.spawn(["events", ...at, "-w", "--for", "deployment/web"]);
    await watching.waitForOutput(/ScalingReplicaSet/);
    await runOk(["scale", "deployment", "web", ...at, "--replicas=2"]);
    await watching.waitForOutput(/Scaled up replica set web-\w+ (from 1 to 2|to 2 from 1)/);
  });

  await t.step(
    "auth reconcile: creates, adds, removes extras, replaces a changed roleRef",
    async () => {
      const suffix = version.replace(".", "");
      const file = join(scratch, `rbac-${suffix}.yaml`);
      const reconcile = async (doc: string, flags: readonly string[] = []) => {
        await Deno.writeTextFile(file, doc);
        return await runOk(["auth", "reconcile", "-f", file, ...flags]);
      };
      const out = await reconcile(
        rbac({ suffix, verbs: ["get", "list"], subjects: ["alice"], roleRef: "Role" }),
      );
      assert.deepEqual(out.trim().split("\n"), [
        `clusterrole.rbac.authorization.k8s.io/reconciled-${suffix} reconciled`,
        "role.rbac.authorization.k8s.io/pod-reader reconciled",
        "rolebinding.rbac.authorization.k8s.io/readers reconciled",
        `clusterrolebinding.rbac.authorization.k8s.io/reconciled-${suffix} reconciled`,
      ]);
      const verbs = async () =>
        (await json(["get", "clusterrole", `reconciled-${suffix}`])).rules.flatMap((
          r: { verbs: string[] },
        ) => r.verbs).sort();
      const subjects = async () =>
        (await json(["get", "rolebinding", "readers", ...at])).subjects.map((s: { name: string }) =>
          s.name
        ).sort();
      assert.deepEqual(await verbs(), ["get", "list"]);
      assert.deepEqual(await subjects(), ["alice"]);

      // A changed file: reconcile adds what is missing and keeps what is extra…
      const changed = rbac({ suffix, verbs: ["watch"], subjects: ["bob"], roleRef: "Role" });
      await reconcile(changed);
      assert.deepEqual(await verbs(), ["get", "list", "watch"]);
      assert.deepEqual(await subjects(), ["alice", "bob"]);
      // …unless asked to remove it.
      await reconcile(changed, ["--remove-extra-permissions", "--remove-extra-subjects"]);
      assert.deepEqual(await verbs(), ["watch"]);
      assert.deepEqual(await subjects(), ["bob"]);

      // A binding's roleRef cannot change: reconcile deletes and recreates it.
      const before = (await json(["get", "rolebinding", "readers", ...at])).metadata.uid;
      await reconcile(
        rbac({ suffix, verbs: ["watch"], subjects: ["bob"], roleRef: "ClusterRole" }),
      );
      const after = await json(["get", "rolebinding", "readers", ...at]);
      assert.notEqual(after.metadata.uid, before);
      assert.deepEqual(after.roleRef, {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: `reconciled-${suffix}`,
      });

      // What the reconciled rules allow, as the authorizer answers for bob.
      const review = (verb: string) =>
        JSON.stringify({
          apiVersion: "authorization.k8s.io/v1",
          kind: "SubjectAccessReview",
          spec: {
            user: "bob",
            resourceAttributes: { namespace: NS, verb, resource: "configmaps" },
          },
        });
      const allowed = async (verb: string) =>
        JSON.parse(await runOk(["create", "-f", "-", "-o", "json"], review(verb))).status.allowed;
      assert.equal(await allowed("watch"), true);
      assert.equal(await allowed("delete"), false);
    },
  );

  await t.step("--as: impersonation, allowed for the admin, refused to others", async () => {
    const whoami = await runOk(["auth", "whoami", "--as", "alice", "--as-group", "devs"]);
    assert.match(whoami, /Username\s+alice\n/);
    assert.match(whoami, /Groups\s+\[devs system:authenticated\]/);
    const refused = await run(["get", "configmaps", ...at, "--as", "carol"]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /Error from server \(Forbidden\): configmaps is forbidden: User "carol" cannot list resource "configmaps" in API group "" in the namespace "extras"/,
    );
    // bob's rights come from the RoleBinding the reconcile step left.
    assert.equal(
      (await run(["auth", "can-i", "watch", "configmaps", ...at, "--as", "bob"])).stdout.trim(),
      "yes",
    );
    const no = await run(["auth", "can-i", "delete", "configmaps", ...at, "--as", "bob"]);
    assert.equal(no.code, 1);
    assert.equal(no.stdout.trim(), "no");

    // A service account may not impersonate without the impersonate verb.
    await runOk(["create", "serviceaccount", "robot", ...at]);
    const token = (await runOk(["create", "token", "robot", ...at])).trim();
    const admin = parseYaml(await Deno.readTextFile(server.kubeconfig)) as {
      clusters: { cluster: Record<string, string> }[];
    };
    const robotConfig = join(scratch, `robot-${version}.yaml`);
    await Deno.writeTextFile(
      robotConfig,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "skiff", cluster: admin.clusters[0]!.cluster }],
        users: [{ name: "robot", user: { token } }],
        contexts: [{ name: "robot", context: { cluster: "skiff", user: "robot" } }],
        "current-context": "robot",
      }),
    );
    const asRobot = await run([
      `--kubeconfig=${robotConfig}`,
      "get",
      "pods",
      ...at,
      "--as",
      "alice",
    ]);
    assert.equal(asRobot.code, 1);
    assert.match(
      asRobot.stderr,
      /Error from server \(Forbidden\): users "alice" is forbidden: User "system:serviceaccount:extras:robot" cannot impersonate resource "users" in API group "" at the cluster scope/,
    );
  });

  await t.step("an API server without aggregation: get apiservices, top", async () => {
    const apiservices = await run(["get", "apiservices"]);
    assert.equal(apiservices.code, 1);
    assert.match(apiservices.stderr, /the server doesn't have a resource type "apiservices"/);
    const raw = await run(["get", "--raw", "/apis/apiregistration.k8s.io/v1/apiservices"]);
    assert.equal(raw.code, 1);
    assert.match(raw.stderr, /NotFound/);
    const top = await run(["top", "nodes"]);
    assert.equal(top.code, 1);
    assert.match(top.stderr, /Metrics API not available/);
  });
}

for (const version of KUBECTL_VERSIONS) {
  Deno.test(`kubectl ${version} extras: --raw, deletecollection, proxy, cluster-info, events, auth reconcile`, async (t) => {
    await kubectlBinary(version);
    await scenario(t, version);
  });
}
