import assert from "node:assert/strict";
import { FakeClock } from "../../util/clock.ts";
import { createTestApp } from "../_test_app.ts";
import type { ConnectionInfo } from "./authenticator.ts";
import { InProcessClient } from "../in_process_client.ts";
import type { ObjectView } from "../store/object_view.ts";
import type { ClusterRole } from "../types/rbac_v1.ts";
import { aggregatedRules, ClusterRoleAggregationController } from "./cluster_role_aggregation.ts";
import { RBAC_PREFIXES } from "./rbac_authorizer.ts";
import { RbacTestViews } from "./_rbac_test_views.ts";

const ADMIN = { username: "system:apiserver", groups: ["system:masters"] };
const GET_PODS = { verbs: ["get"], apiGroups: [""], resources: ["pods"] };
const LIST_PODS = { verbs: ["list"], apiGroups: [""], resources: ["pods"] };
const GET_NODES = { verbs: ["get"], apiGroups: [""], resources: ["nodes"] };

function role(
  name: string,
  options: { labels?: Record<string, string>; rules?: ClusterRole["rules"]; selectFor?: string[] },
): ClusterRole {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name, ...(options.labels ? { labels: options.labels } : {}) },
    ...(options.rules ? { rules: options.rules } : {}),
    ...(options.selectFor
      ? {
        aggregationRule: {
          clusterRoleSelectors: options.selectFor.map((l) => ({ matchLabels: { [l]: "true" } })),
        },
      }
      : {}),
  };
}

Deno.test("aggregatedRules() unions the selected roles' rules in a stable order", async (t) => {
  const cases: {
    name: string;
    target: ClusterRole;
    roles: ClusterRole[];
    want: ClusterRole["rules"];
  }[] = [
    {
      name: "matching roles by name, each rule once",
      target: role("view", { selectFor: ["v"] }),
      roles: [
        role("b", { labels: { v: "true" }, rules: [LIST_PODS, GET_PODS] }),
        role("a", { labels: { v: "true" }, rules: [GET_PODS] }),
        role("c", { labels: { v: "false" }, rules: [GET_NODES] }),
      ],
      want: [GET_PODS, LIST_PODS],
    },
    {
      name: "selectors in order",
      target: role("x", { selectFor: ["second", "first"] }),
      roles: [
        role("a", { labels: { first: "true" }, rules: [GET_PODS] }),
        role("b", { labels: { second: "true" }, rules: [GET_NODES] }),
      ],
      want: [GET_NODES, GET_PODS],
    },
    {
      name: "never itself",
      target: role("self", { labels: { v: "true" }, selectFor: ["v"], rules: [GET_NODES] }),
      roles: [role("self", { labels: { v: "true" }, rules: [GET_NODES] })],
      want: [],
    },
    {
      name: "nothing selected",
      target: role("view", { selectFor: ["v"] }),
      roles: [role("a", { rules: [GET_PODS] })],
      want: [],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(aggregatedRules(c.target, c.roles), c.want));
  }
});

/** Resolves once `pred` holds for the view's object `name` (checked now and on each change). */
function until(view: ObjectView, options: { name: string; pred: (r: ClusterRole) => boolean }) {
  return new Promise<void>((resolve) => {
    const check = () => {
      const r = view.getByName("", options.name) as ClusterRole | undefined;
      if (r && options.pred(r)) {
        off();
        resolve();
      }
    };
    const off = view.onChange(check);
    check();
  });
}

Deno.test("ClusterRoleAggregationController keeps aggregated roles' rules current", async () => {
  await using app = await createTestApp();
  const base = "/apis/rbac.authorization.k8s.io/v1/clusterroles";
  const post = async (r: ClusterRole) =>
    assert.equal((await app.json("POST", base, { body: r })).status, 201);
  await post(role("a-view", { labels: { "agg/view": "true" }, rules: [GET_PODS] }));
  await post(role("view", { selectFor: ["agg/view"] }));
  const controller = new ClusterRoleAggregationController({
    views: app.views,
    logger: app.logger,
  });
  await controller.start(app.client, app.signal);
  const view = app.views.get(RBAC_PREFIXES.clusterRoles);
  await until(view, { name: "view", pred: (r) => (r.rules ?? []).length === 1 });

  // A newly labelled role adds its rules.
  await post(role("b-view", { labels: { "agg/view": "true" }, rules: [LIST_PODS, GET_PODS] }));
  await until(view, { name: "view", pred: (r) => (r.rules ?? []).length === 2 });
  assert.deepEqual((view.getByName("", "view") as ClusterRole).rules, [GET_PODS, LIST_PODS]);

  // Rules written into the aggregated role directly are undone.
  const current = (await app.json("GET", `${base}/view`)).body;
  const put = await app.json("PUT", `${base}/view`, {
    body: { ...current, rules: [GET_NODES] },
  });
  assert.equal(put.status, 200);
  await until(view, {
    name: "view",
    pred: (r) => (r.rules ?? []).length === 2 && r.rules![0]!.resources![0] === "pods",
  });

  // Removing the label removes the rules.
  const a = (await app.json("GET", `${base}/a-view`)).body as ClusterRole;
  assert.equal(
    (await app.json("PUT", `${base}/a-view`, {
      body: { ...a, metadata: { ...a.metadata, labels: {} } },
    }))
      .status,
    200,
  );
  await until(view, {
    name: "view",
    pred: (r) => (r.rules ?? []).length === 2 && r.rules![0]!.verbs[0] === "list",
  });
  await controller.idle();
});

Deno.test("ClusterRoleAggregationController writes nothing when the rules already agree", async () => {
  using t = new RbacTestViews();
  await t.put(role("a", { labels: { v: "true" }, rules: [GET_PODS] }));
  await t.put(role("agg", { selectFor: ["v"], rules: [GET_PODS] }));
  const seen: string[] = [];
  const client = new InProcessClient({
    fetch(request: Request, _env: { connection: ConnectionInfo }) {
      seen.push(`${request.method} ${new URL(request.url).pathname}`);
      return new Response("{}", { status: 200 });
    },
  }, ADMIN);
  const controller = new ClusterRoleAggregationController({ views: t.views, logger: t.logger });
  await controller.start(client, t.signal);
  await controller.idle();
  await t.putAndWait(role("b", { labels: { other: "true" }, rules: [GET_NODES] }));
  await controller.idle();
  assert.deepEqual(seen, []);
});

Deno.test("ClusterRoleAggregationController retries a failed write after a backoff", async () => {
  using t = new RbacTestViews();
  await t.put(role("a", { labels: { v: "true" }, rules: [GET_PODS] }));
  await t.put(role("agg", { selectFor: ["v"] }));
  const bodies: unknown[] = [];
  let status = 500;
  const client = new InProcessClient({
    async fetch(request: Request, _env: { connection: ConnectionInfo }) {
      bodies.push(JSON.parse(await request.text()));
      return new Response(JSON.stringify({ message: "boom" }), { status });
    },
  }, ADMIN);
  const clock = new FakeClock();
  const controller = new ClusterRoleAggregationController({
    views: t.views,
    logger: t.logger,
    clock,
  });
  await controller.start(client, t.signal);
  await controller.idle();
  assert.equal(bodies.length, 1);
  assert.deepEqual(bodies[0], { rules: [GET_PODS] });
  status = 200;
  clock.advance(999);
  await controller.idle();
  assert.equal(bodies.length, 1);
  clock.advance(1);
  await controller.idle();
  assert.equal(bodies.length, 2);
  assert.ok(t.logger.records.some((r) => r.msg === "Cannot aggregate ClusterRole rules, retrying"));
});
