/**
 * The identity matrix of issue 4, through the real `skiff server` over HTTPS and through the
 * real kubectl 1.27–1.33: one server, six identities —
 *
 * - `admin`: the kubeconfig the server writes (`CN=system:admin, O=system:masters`);
 * - `alice`: a client certificate `CN=alice, O=dev` issued here with the cluster CA, bound to
 *   ClusterRole `edit` in namespace `team`;
 * - `builder`: ServiceAccount `team/builder` with a token from `kubectl create token`, granted
 *   get/list on configmaps in `team` by a Role;
 * - `node-a`, `node-b`: node credentials obtained as an agent obtains them (`skiff token
 *   create`, then `POST /v1-skiff/node-credentials` with the bootstrap token), each with a pod
 *   bound to it that uses a Secret, a ConfigMap and a ServiceAccount of its own;
 * - `anonymous`: no credentials —
 *
 * × a table of operations, each answered with the exact status code (and for 403 the exact
 * Status body) kube-apiserver 1.33 gives with `--authorization-mode=Node,RBAC` and the
 * NodeRestriction admission plugin. Every refused write is checked to have changed nothing.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { caCertHash, parseJoinToken } from "../../control/api/auth/bootstrap_token.ts";
import { systemConfigDeps } from "../../control/config.ts";
import { runTokenCommand } from "../../control/token_command.ts";
import { BufferWriter, systemClock } from "../../control/util/mod.ts";
import {
  type Credentials,
  HttpsIdentity,
  issueUserCertificate,
  kubeconfigFor,
  readAdminKubeconfig,
  requestNodeCredential,
} from "../_support/identities.ts";
import { nodeNetworkToken } from "../../control/api/auth/node_network_identity.ts";
import { Kubectl, KUBECTL_VERSIONS, type KubectlResult } from "../_support/kubectl.ts";
import { startTestServer, type TestServer } from "../_support/skiff_server.ts";

const TEAM = "team";
const NAMESPACES = [TEAM, "default"] as const;
const IDENTITIES = ["admin", "alice", "builder", "node-a", "node-b", "anonymous"] as const;
type IdentityName = typeof IDENTITIES[number];

/** What belongs to one node: its pod and what the pod uses. */
interface NodeSide {
  readonly node: string;
  readonly pod: string;
  readonly serviceAccount: string;
  readonly secret: string;
  readonly configMap: string;
}

const SIDES: Readonly<Record<"node-a" | "node-b", NodeSide>> = {
  "node-a": {
    node: "node-a",
    pod: "pod-a",
    serviceAccount: "builder",
    secret: "secret-a",
    configMap: "config-a",
  },
  "node-b": {
    node: "node-b",
    pod: "pod-b",
    serviceAccount: "runner",
    secret: "secret-b",
    configMap: "config-b",
  },
};

/** One identity of the matrix. */
interface Actor {
  readonly name: IdentityName;
  /** The user Kubernetes sees. */
  readonly username: string;
  /** The node's own side; for the other identities node A's. */
  readonly own: NodeSide;
  /** The other node's side. */
  readonly other: NodeSide;
  readonly http: HttpsIdentity;
}

/** What the setup made. */
interface World {
  readonly server: TestServer;
  readonly admin: HttpsIdentity;
  readonly actors: readonly Actor[];
  /** Pod uids by name (`pod-a`, `pod-b`), for bound tokens. */
  readonly podUids: Readonly<Record<string, string>>;
  readonly credentials: Readonly<Record<"alice" | "builder", Credentials>>;
  /** The node credentials (`skiff-node:…`) by node name. */
  readonly nodeTokens: Readonly<Record<string, string>>;
}

// --- expectations -------------------------------------------------------------------------------

/** The answer an identity must get. */
type Expect =
  | { readonly code: 200 | 201 | 400 | 401 | 404 }
  /** Refused by the authorizers (RBAC, Node), with their reason when they gave one. */
  | { readonly code: 403; readonly by: "authorizer"; readonly reason: string }
  /** Refused by an admission plugin: `<resource> "<name>" is forbidden: <detail>`. */
  | {
    readonly code: 403;
    readonly by: "admission";
    readonly name: string;
    readonly detail: string;
  };

const OK: Expect = { code: 200 };
const CREATED: Expect = { code: 201 };
const UNAUTHORIZED: Expect = { code: 401 };
const BAD_REQUEST: Expect = { code: 400 };

function denied(reason = ""): Expect {
  return { code: 403, by: "authorizer", reason };
}

function refused(name: string, detail: string): Expect {
  return { code: 403, by: "admission", name, detail };
}

function noRelationship(node: string): Expect {
  return denied(`no relationship found between node '${node}' and this object`);
}

/** The expectation of each identity for one operation (`node` for both nodes). */
interface Expectations {
  readonly admin: Expect;
  readonly alice: Expect;
  readonly builder: Expect;
  readonly node: (own: NodeSide, other: NodeSide) => Expect;
  readonly anonymous: Expect;
}

function expectationOf(e: Expectations, actor: Actor): Expect {
  switch (actor.name) {
    case "node-a":
    case "node-b":
      return e.node(actor.own, actor.other);
    default:
      return e[actor.name];
  }
}

// --- operations ---------------------------------------------------------------------------------

type Verb = "get" | "list" | "create" | "update" | "delete";

const METHODS: Readonly<Record<Verb, string>> = {
  get: "GET",
  list: "GET",
  create: "POST",
  update: "PUT",
  delete: "DELETE",
};

/** The object a resource request is about. */
interface Target {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly subresource?: string;
  /** "" for cluster-scoped requests. */
  readonly namespace: string;
  readonly name?: string;
  readonly query?: string;
}

/** One row of the table. */
interface Row {
  readonly op: string;
  /** A resource request (verb and target), or a non-resource path (`GET`). */
  readonly request:
    | { readonly verb: Verb; readonly target: (actor: Actor) => Target }
    | { readonly path: string };
  readonly body?: (actor: Actor, world: World) => Promise<unknown> | unknown;
  readonly expect: Expectations;
  /** Checks a 2xx body; returns what is wrong, or null. */
  readonly check?: (
    actor: Actor,
    body: Record<string, unknown>,
    world: World,
  ) => Promise<string | null> | string | null;
  /** After a refusal: asks the admin whether anything changed; returns what did, or null. */
  readonly unchanged?: (actor: Actor, world: World) => Promise<string | null>;
}

function resourcePath(t: Target): string {
  const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  const ns = t.namespace ? `/namespaces/${t.namespace}` : "";
  const name = t.name ? `/${t.name}` : "";
  const sub = t.subresource ? `/${t.subresource}` : "";
  const query = t.query ? `?${t.query}` : "";
  return `${base}${ns}/${t.resource}${name}${sub}${query}`;
}

function groupResource(t: Pick<Target, "group" | "resource">): string {
  return t.group ? `${t.resource}.${t.group}` : t.resource;
}

/** kube-apiserver's 403 text for a request the authorizers refused (written from its format). */
function authorizerMessage(
  o: { username: string; verb: Verb; target: Target; reason: string },
): string {
  const t = o.target;
  const subject = t.name ? `${groupResource(t)} "${t.name}"` : groupResource(t);
  const resource = t.subresource ? `${t.resource}/${t.subresource}` : t.resource;
  const scope = t.namespace ? `in the namespace "${t.namespace}"` : "at the cluster scope";
  const text = `${subject} is forbidden: User "${o.username}" cannot ${o.verb} resource ` +
    `"${resource}" in API group "${t.group}" ${scope}`;
  return o.reason ? `${text}: ${o.reason}` : text;
}

/** The Status body kube-apiserver sends for a 403. */
function forbiddenStatus(message: string, details: Record<string, string>) {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason: "Forbidden",
    details,
    code: 403,
  };
}

/** `{name, group, kind}` as StatusDetails serializes them (empty fields omitted). */
function statusDetails(o: { name: string; group: string; kind: string }): Record<string, string> {
  const out: Record<string, string> = {};
  if (o.name) out.name = o.name;
  if (o.group) out.group = o.group;
  if (o.kind) out.kind = o.kind;
  return out;
}

const UNAUTHORIZED_STATUS = {
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message: "Unauthorized",
  reason: "Unauthorized",
  code: 401,
};

// --- objects ------------------------------------------------------------------------------------

interface Kind {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly object: (name: string) => Record<string, unknown>;
  /** What each node gets for each verb on an object not related to it. */
  readonly node: (verb: Verb, own: NodeSide, name: string) => Expect;
}

function podObject(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: {
      containers: [{ name: "main", image: "busybox:1.36", command: ["sleep", "3600"] }],
      ...spec,
    },
  };
}

const KINDS: readonly Kind[] = [
  {
    group: "",
    version: "v1",
    resource: "pods",
    object: (name) => podObject(name),
    node: (verb, own, name) => {
      switch (verb) {
        case "get":
          return noRelationship(own.node);
        case "list":
          return denied("can only list/watch pods with spec.nodeName field selector");
        case "create":
          // The Node authorizer allows creates (mirror pods); NodeRestriction refuses others.
          return refused(
            name,
            `pod does not have "kubernetes.io/config.mirror" annotation, node "${own.node}" can only create mirror pods`,
          );
        case "update":
          return denied();
        case "delete":
          // Admission names the object the DELETE request names.
          return refused(
            name,
            `node "${own.node}" can only delete pods with spec.nodeName set to itself`,
          );
      }
    },
  },
  {
    group: "",
    version: "v1",
    resource: "secrets",
    object: (name) => ({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name },
      data: { k: "dg==" },
    }),
    node: (verb, own) => namespacedReadOnly(verb, own),
  },
  {
    group: "",
    version: "v1",
    resource: "configmaps",
    object: (name) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name },
      data: { k: "v" },
    }),
    node: (verb, own) => namespacedReadOnly(verb, own),
  },
  {
    group: "apps",
    version: "v1",
    resource: "deployments",
    object: (name) => ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: "main", image: "busybox:1.36" }] },
        },
      },
    }),
    node: () => denied(),
  },
];

/** Secrets and ConfigMaps: a node reads only those its pods use, by name. */
function namespacedReadOnly(verb: Verb, own: NodeSide): Expect {
  switch (verb) {
    case "get":
      return noRelationship(own.node);
    case "list":
      return denied("No Object name found");
    default:
      return denied("can only read resources of this type");
  }
}

/** The object every identity gets and updates. */
const FIXTURE = "fixture";
/** The object `actor` creates. */
function createdName(actor: Actor): string {
  return `new-${actor.name}`;
}
/** The object `actor` deletes (made by the setup). */
function doomedName(actor: Actor): string {
  return `del-${actor.name}`;
}
const UPDATED_BY = "skiff.test/updated-by";

function ok(verb: Verb): Expect {
  return verb === "create" ? CREATED : OK;
}

/** get/list/create/update/delete of each kind in `team` and `default`. */
function crudRows(): Row[] {
  const rows: Row[] = [];
  const verbs: Verb[] = ["get", "list", "create", "update", "delete"];
  for (const kind of KINDS) {
    for (const namespace of NAMESPACES) {
      for (const verb of verbs) {
        const target = (actor: Actor): Target => ({
          group: kind.group,
          version: kind.version,
          resource: kind.resource,
          namespace,
          ...(verb === "get" || verb === "update" ? { name: FIXTURE } : {}),
          ...(verb === "delete" ? { name: doomedName(actor) } : {}),
        });
        const path = (name: string) => resourcePath({ ...kind, namespace, name } as Target);
        const inTeam = namespace === TEAM;
        rows.push({
          op: `${verb} ${groupResource(kind)} in ${namespace}`,
          request: { verb, target },
          ...(verb === "create"
            ? { body: (actor: Actor) => kind.object(createdName(actor)) }
            : verb === "update"
            ? {
              body: async (actor: Actor, world: World) => {
                const obj = await world.admin.expect(200, { method: "GET", path: path(FIXTURE) });
                const meta = obj.metadata as { labels?: Record<string, string> };
                meta.labels = { ...meta.labels, [UPDATED_BY]: actor.name };
                return obj;
              },
            }
            : {}),
          expect: {
            admin: ok(verb),
            alice: inTeam ? ok(verb) : denied(),
            builder: inTeam && kind.resource === "configmaps" && (verb === "get" || verb === "list")
              ? ok(verb)
              : denied(),
            node: (own) =>
              kind.node(
                verb,
                own,
                verb === "create"
                  ? `new-${own.node}`
                  : verb === "delete"
                  ? `del-${own.node}`
                  : FIXTURE,
              ),
            anonymous: UNAUTHORIZED,
          },
          check: (_actor, body) => {
            const want = verb === "list"
              ? `${kindName(kind)}List`
              : verb === "delete" && kind.resource !== "pods"
              ? "Status"
              : kindName(kind);
            // A DELETE answers the deleted object for pods and deployments, a Status for others.
            const kinds = verb === "delete" ? [want, kindName(kind), "Status"] : [want];
            return kinds.includes(String(body.kind))
              ? null
              : `body kind ${body.kind}, want ${want}`;
          },
          unchanged: async (actor, world) => {
            if (verb === "get" || verb === "list") return null;
            const name = verb === "create"
              ? createdName(actor)
              : verb === "delete"
              ? doomedName(actor)
              : FIXTURE;
            const res = await world.admin.request("GET", path(name));
            if (verb === "create") return res.status === 404 ? null : `${name} exists`;
            if (res.status !== 200) return `${name} is gone (${res.status})`;
            if (verb === "delete") return null;
            const labels = (res.json?.metadata as { labels?: Record<string, string> }).labels ?? {};
            return labels[UPDATED_BY] === actor.name ? `${name} was updated` : null;
          },
        });
      }
    }
  }
  return rows;
}

function kindName(kind: Kind): string {
  const o = kind.object("x");
  return String(o.kind);
}

const NODES: Pick<Target, "group" | "version" | "resource"> = {
  group: "",
  version: "v1",
  resource: "nodes",
};
const LEASES: Pick<Target, "group" | "version" | "resource"> = {
  group: "coordination.k8s.io",
  version: "v1",
  resource: "leases",
};
const NODE_LEASES = "kube-node-lease";

/** Names of the items of a list body. */
function itemNames(body: Record<string, unknown>): string[] {
  return ((body.items ?? []) as { metadata: { namespace?: string; name: string } }[])
    .map((i) =>
      i.metadata.namespace ? `${i.metadata.namespace}/${i.metadata.name}` : i.metadata.name
    )
    .sort();
}

/** The admin's copy of `path` with a label naming `actor` (the body of an update). */
async function labelled(world: World, o: { path: string; actor: Actor }): Promise<unknown> {
  const obj = await world.admin.expect(200, { method: "GET", path: o.path });
  const meta = obj.metadata as { labels?: Record<string, string> };
  meta.labels = { ...meta.labels, [UPDATED_BY]: o.actor.name };
  return obj;
}

/** A refused update must leave the label off. */
async function notLabelled(world: World, o: { path: string; actor: Actor }) {
  const obj = await world.admin.expect(200, { method: "GET", path: o.path });
  const labels = (obj.metadata as { labels?: Record<string, string> }).labels ?? {};
  return labels[UPDATED_BY] === o.actor.name ? `${o.path} was updated` : null;
}

/** The admin's copy of a Node with a Ready condition reported by `actor` (a status update). */
async function reportedStatus(world: World, o: { node: string; actor: Actor }): Promise<unknown> {
  const node = await world.admin.expect(200, { method: "GET", path: `/api/v1/nodes/${o.node}` });
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  node.status = {
    ...(node.status as Record<string, unknown>),
    conditions: [{
      type: "Ready",
      status: "True",
      reason: "KubeletReady",
      message: `reported by ${o.actor.name}`,
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    }],
  };
  return node;
}

/** A refused status update must leave no condition of `actor`'s. */
async function notReported(world: World, o: { node: string; actor: Actor }) {
  const node = await world.admin.expect(200, { method: "GET", path: `/api/v1/nodes/${o.node}` });
  const conditions = (node.status as { conditions?: { message?: string }[] }).conditions ?? [];
  return conditions.some((c) => c.message === `reported by ${o.actor.name}`)
    ? `node ${o.node} has the status ${o.actor.name} reported`
    : null;
}

function tokenRequest(o: { pod: string; uid: string }) {
  return {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: {
      audiences: [],
      expirationSeconds: 3600,
      boundObjectRef: { kind: "Pod", apiVersion: "v1", name: o.pod, uid: o.uid },
    },
  };
}

/** The issued token authenticates as the ServiceAccount, bound to the pod and its node. */
async function checkBoundToken(
  world: World,
  o: { token: unknown; side: NodeSide },
): Promise<string | null> {
  if (typeof o.token !== "string") return "no token in the TokenRequest status";
  using http = new HttpsIdentity("issued token", {
    endpoint: world.admin.endpoint,
    credentials: { token: o.token },
  });
  const review = await http.expect(201, {
    method: "POST",
    path: "/apis/authentication.k8s.io/v1/selfsubjectreviews",
    body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
  });
  const info = (review.status as { userInfo: Record<string, unknown> }).userInfo;
  const extra = (info.extra ?? {}) as Record<string, string[]>;
  const got = {
    username: info.username,
    pod: extra["authentication.kubernetes.io/pod-name"],
    node: extra["authentication.kubernetes.io/node-name"],
  };
  const want = {
    username: `system:serviceaccount:${TEAM}:${o.side.serviceAccount}`,
    pod: [o.side.pod],
    node: [o.side.node],
  };
  try {
    assert.deepEqual(got, want);
    return null;
  } catch {
    return `the issued token is ${JSON.stringify(got)}, want ${JSON.stringify(want)}`;
  }
}

/** The rows about nodes, discovery and cluster-wide access. */
function specialRows(): Row[] {
  const podSelector = (node: string) =>
    `fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`;
  const ownPods = (actor: Actor, body: Record<string, unknown>) => {
    const want = [`${TEAM}/${actor.own.pod}`];
    const got = itemNames(body);
    return JSON.stringify(got) === JSON.stringify(want) ? null : `listed ${got}, want ${want}`;
  };
  const discovery = (path: string, anonymous: Expect): Row => ({
    op: `GET ${path}`,
    request: { path },
    expect: { admin: OK, alice: OK, builder: OK, node: () => OK, anonymous },
  });
  const rbacOnly = (admin: Expect, node: Expectations["node"], alice = denied()): Expectations => ({
    admin,
    alice,
    builder: denied(),
    node,
    anonymous: UNAUTHORIZED,
  });
  return [
    {
      op: "list pods in all namespaces",
      request: {
        verb: "list",
        target: () => ({ group: "", version: "v1", resource: "pods", namespace: "" }),
      },
      expect: rbacOnly(
        OK,
        () => denied("can only list/watch pods with spec.nodeName field selector"),
      ),
    },
    {
      op: "list pods in all namespaces with fieldSelector=spec.nodeName=<own node>",
      request: {
        verb: "list",
        target: (a) => ({
          group: "",
          version: "v1",
          resource: "pods",
          namespace: "",
          query: podSelector(a.own.node),
        }),
      },
      expect: rbacOnly(OK, () => OK),
      check: (actor, body) => ownPods(actor, body),
    },
    {
      op: "list pods in team with fieldSelector=spec.nodeName=<own node>",
      request: {
        verb: "list",
        target: (a) => ({
          group: "",
          version: "v1",
          resource: "pods",
          namespace: TEAM,
          query: podSelector(a.own.node),
        }),
      },
      expect: rbacOnly(OK, () => OK, OK),
      check: (actor, body) => ownPods(actor, body),
    },
    {
      op: "list pods in all namespaces with fieldSelector=spec.nodeName=<other node>",
      request: {
        verb: "list",
        target: (a) => ({
          group: "",
          version: "v1",
          resource: "pods",
          namespace: "",
          query: podSelector(a.other.node),
        }),
      },
      expect: rbacOnly(
        OK,
        () => denied("can only list/watch pods with spec.nodeName field selector"),
      ),
    },
    {
      op: "get own pod",
      request: {
        verb: "get",
        target: (a) => ({
          group: "",
          version: "v1",
          resource: "pods",
          namespace: TEAM,
          name: a.own.pod,
        }),
      },
      expect: rbacOnly(OK, () => OK, OK),
    },
    {
      op: "get the other node's pod",
      request: {
        verb: "get",
        target: (a) => ({
          group: "",
          version: "v1",
          resource: "pods",
          namespace: TEAM,
          name: a.other.pod,
        }),
      },
      expect: rbacOnly(OK, (own) => noRelationship(own.node), OK),
    },
    {
      op: "get nodes",
      request: { verb: "list", target: () => ({ ...NODES, namespace: "" }) },
      expect: rbacOnly(
        OK,
        (own) => denied(`node '${own.node}' cannot read all nodes, only its own Node object`),
      ),
    },
    {
      op: "get own Node",
      request: { verb: "get", target: (a) => ({ ...NODES, namespace: "", name: a.own.node }) },
      expect: rbacOnly(OK, () => OK),
    },
    {
      op: "get the other Node",
      request: { verb: "get", target: (a) => ({ ...NODES, namespace: "", name: a.other.node }) },
      expect: rbacOnly(
        OK,
        (own, other) =>
          denied(`node '${own.node}' cannot read '${other.node}', only its own Node object`),
      ),
    },
    {
      op: "update own Node status",
      request: {
        verb: "update",
        target: (a) => ({ ...NODES, namespace: "", name: a.own.node, subresource: "status" }),
      },
      body: (a, w) => reportedStatus(w, { node: a.own.node, actor: a }),
      expect: rbacOnly(OK, () => OK),
      unchanged: (a, w) => notReported(w, { node: a.own.node, actor: a }),
    },
    {
      op: "update the other Node's status",
      request: {
        verb: "update",
        target: (a) => ({ ...NODES, namespace: "", name: a.other.node, subresource: "status" }),
      },
      body: (a, w) => reportedStatus(w, { node: a.other.node, actor: a }),
      expect: rbacOnly(
        OK,
        (own, other) =>
          refused(other.node, `node "${own.node}" is not allowed to modify node "${other.node}"`),
      ),
      unchanged: (a, w) => notReported(w, { node: a.other.node, actor: a }),
    },
    {
      op: "get own Lease",
      request: {
        verb: "get",
        target: (a) => ({ ...LEASES, namespace: NODE_LEASES, name: a.own.node }),
      },
      expect: rbacOnly(OK, () => OK),
    },
    {
      op: "update own Lease",
      request: {
        verb: "update",
        target: (a) => ({ ...LEASES, namespace: NODE_LEASES, name: a.own.node }),
      },
      body: (a, w) =>
        labelled(w, {
          path: resourcePath({ ...LEASES, namespace: NODE_LEASES, name: a.own.node }),
          actor: a,
        }),
      expect: rbacOnly(OK, () => OK),
      unchanged: (a, w) =>
        notLabelled(w, {
          path: resourcePath({ ...LEASES, namespace: NODE_LEASES, name: a.own.node }),
          actor: a,
        }),
    },
    {
      op: "get the other node's Lease",
      request: {
        verb: "get",
        target: (a) => ({ ...LEASES, namespace: NODE_LEASES, name: a.other.node }),
      },
      expect: rbacOnly(
        OK,
        () => denied("can only access node lease with the same name as the requesting node"),
      ),
    },
    {
      op: "update the other node's Lease",
      request: {
        verb: "update",
        target: (a) => ({ ...LEASES, namespace: NODE_LEASES, name: a.other.node }),
      },
      body: (a, w) =>
        labelled(w, {
          path: resourcePath({ ...LEASES, namespace: NODE_LEASES, name: a.other.node }),
          actor: a,
        }),
      expect: rbacOnly(
        OK,
        () => denied("can only access node lease with the same name as the requesting node"),
      ),
      unchanged: (a, w) =>
        notLabelled(w, {
          path: resourcePath({ ...LEASES, namespace: NODE_LEASES, name: a.other.node }),
          actor: a,
        }),
    },
    {
      op: "get own pod's Secret",
      request: {
        verb: "get",
        target: (a) => ({
          group: "",
          version: "v1",
          resource: "secrets",
          namespace: TEAM,
          name: a.own.secret,
        }),
      },
      expect: rbacOnly(OK, () => OK, OK),
    },
    {
      op: "get the other node's pod's Secret",
      request: {
        verb: "get",
        target: (a) => ({
          group: "",
          version: "v1",
          resource: "secrets",
          namespace: TEAM,
          name: a.other.secret,
        }),
      },
      expect: rbacOnly(OK, (own) => noRelationship(own.node), OK),
    },
    {
      op: "get own pod's ConfigMap",
      request: {
        verb: "get",
        target: (a) => ({
          group: "",
          version: "v1",
          resource: "configmaps",
          namespace: TEAM,
          name: a.own.configMap,
        }),
      },
      expect: { ...rbacOnly(OK, () => OK, OK), builder: OK },
    },
    {
      op: "get the other node's pod's ConfigMap",
      request: {
        verb: "get",
        target: (a) => ({
          group: "",
          version: "v1",
          resource: "configmaps",
          namespace: TEAM,
          name: a.other.configMap,
        }),
      },
      expect: { ...rbacOnly(OK, (own) => noRelationship(own.node), OK), builder: OK },
    },
    {
      op: "create a token for own pod's ServiceAccount bound to the pod",
      request: {
        verb: "create",
        target: (a) => ({
          group: "",
          version: "v1",
          resource: "serviceaccounts",
          subresource: "token",
          namespace: TEAM,
          name: a.own.serviceAccount,
        }),
      },
      body: (a, w) => tokenRequest({ pod: a.own.pod, uid: w.podUids[a.own.pod]! }),
      // `edit` may create ServiceAccount tokens in its namespace.
      expect: rbacOnly(CREATED, () => CREATED, CREATED),
      check: (a, body, w) =>
        checkBoundToken(w, { token: (body.status as { token?: unknown })?.token, side: a.own }),
    },
    {
      op: "create a token for the other node's pod's ServiceAccount bound to that pod",
      request: {
        verb: "create",
        target: (a) => ({
          group: "",
          version: "v1",
          resource: "serviceaccounts",
          subresource: "token",
          namespace: TEAM,
          name: a.other.serviceAccount,
        }),
      },
      body: (a, w) => tokenRequest({ pod: a.other.pod, uid: w.podUids[a.other.pod]! }),
      expect: rbacOnly(CREATED, (own) => noRelationship(own.node), CREATED),
      check: (a, body, w) =>
        checkBoundToken(w, { token: (body.status as { token?: unknown })?.token, side: a.other }),
    },
    {
      op: "create a token for own pod's ServiceAccount bound to the other node's pod",
      request: {
        verb: "create",
        target: (a) => ({
          group: "",
          version: "v1",
          resource: "serviceaccounts",
          subresource: "token",
          namespace: TEAM,
          name: a.own.serviceAccount,
        }),
      },
      // The ServiceAccount is the node's (its pod uses it), the pod is not: NodeRestriction
      // refuses, naming the ServiceAccount the request is for.
      body: (a, w) => tokenRequest({ pod: a.other.pod, uid: w.podUids[a.other.pod]! }),
      expect: rbacOnly(
        BAD_REQUEST,
        (own) =>
          refused(
            own.serviceAccount,
            "node requested token bound to a pod scheduled on a different node",
          ),
        // The pod runs as another ServiceAccount: TokenRequest refuses the binding (400).
        BAD_REQUEST,
      ),
    },
    {
      op: "create a clusterrolebinding to cluster-admin",
      request: {
        verb: "create",
        target: () => ({
          group: "rbac.authorization.k8s.io",
          version: "v1",
          resource: "clusterrolebindings",
          namespace: "",
        }),
      },
      body: (a) => ({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: `crb-${a.name}` },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: "cluster-admin",
        },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: a.username }],
      }),
      expect: rbacOnly(CREATED, () => denied()),
      unchanged: async (a, w) => {
        const res = await w.admin.request(
          "GET",
          `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/crb-${a.name}`,
        );
        return res.status === 404 ? null : `crb-${a.name} exists (${res.status})`;
      },
    },
    discovery("/healthz", OK),
    discovery("/livez", OK),
    discovery("/readyz", OK),
    discovery("/version", OK),
    discovery("/api", UNAUTHORIZED),
    discovery("/apis", UNAUTHORIZED),
  ];
}

const ROWS: readonly Row[] = [...crudRows(), ...specialRows()];

/** Runs one row as `actor`; returns what is wrong, or null. */
async function runRow(row: Row, actor: Actor, world: World): Promise<string | null> {
  const want = expectationOf(row.expect, actor);
  const req = "path" in row.request
    ? { method: "GET", path: row.request.path, target: null, verb: null }
    : (() => {
      const target = row.request.target(actor);
      return {
        method: METHODS[row.request.verb],
        path: resourcePath(target),
        target,
        verb: row.request.verb,
      };
    })();
  const body = row.body ? await row.body(actor, world) : undefined;
  const res = await actor.http.request(req.method, req.path, { body });
  const where = `${req.method} ${req.path}`;
  if (res.status !== want.code) {
    return `${where}: answered ${res.status}, want ${want.code}: ${res.text.slice(0, 400)}`;
  }
  if (want.code === 200 || want.code === 201) {
    return row.check ? await row.check(actor, res.json ?? {}, world) : null;
  }
  let wantBody: unknown;
  if (want.code === 401) {
    wantBody = UNAUTHORIZED_STATUS;
  } else if (want.code === 403 && req.target && req.verb) {
    const t = req.target;
    wantBody = want.by === "authorizer"
      ? forbiddenStatus(
        authorizerMessage({
          username: actor.username,
          verb: req.verb,
          target: t,
          reason: want.reason,
        }),
        statusDetails({ name: t.name ?? "", group: t.group, kind: t.resource }),
      )
      : forbiddenStatus(
        `${groupResource(t)} "${want.name}" is forbidden: ${want.detail}`,
        statusDetails({ name: want.name, group: t.group, kind: t.resource }),
      );
  }
  if (wantBody !== undefined) {
    try {
      assert.deepEqual(res.json, wantBody);
    } catch {
      return `${where}: body ${res.text}, want ${JSON.stringify(wantBody)}`;
    }
  }
  if (row.unchanged) {
    const changed = await row.unchanged(actor, world);
    if (changed !== null) return `${where}: refused, but ${changed}`;
  }
  return null;
}

// --- setup --------------------------------------------------------------------------------------

async function skiffToken(args: string[], dataDir: string): Promise<string> {
  const stdout = new BufferWriter();
  const stderr = new BufferWriter();
  const code = await runTokenCommand([...args, "--data-dir", dataDir], {
    stdout,
    stderr,
    clock: systemClock,
    config: systemConfigDeps(),
  });
  if (code !== 0) throw new Error(`skiff token ${args.join(" ")} exited ${code}: ${stderr.text()}`);
  return stdout.text();
}

/** Waits until the admin can GET `path` (objects the server makes by itself). */
async function waitFor(admin: HttpsIdentity, path: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    if ((await admin.request("GET", path)).status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${path} did not appear within 10 s`);
}

function kubectlFailure(what: string, r: KubectlResult, server: TestServer): string {
  return `${what} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\n` +
    `server log tail:\n${server.logTail(15)}`;
}

async function setUp(server: TestServer): Promise<World> {
  const { endpoint, credentials: adminCredentials } = await readAdminKubeconfig(server.kubeconfig);
  const admin = new HttpsIdentity("admin", { endpoint, credentials: adminCredentials });
  const post = (path: string, body: unknown) => admin.expect(201, { method: "POST", path, body });
  const rbac = "/apis/rbac.authorization.k8s.io/v1";

  await post("/api/v1/namespaces", { metadata: { name: TEAM } });
  await waitFor(admin, `/api/v1/namespaces/${TEAM}/serviceaccounts/default`);
  for (const side of Object.values(SIDES)) {
    await post(`/api/v1/namespaces/${TEAM}/serviceaccounts`, {
      metadata: { name: side.serviceAccount },
    });
    await post(`/api/v1/namespaces/${TEAM}/secrets`, {
      metadata: { name: side.secret },
      stringData: { password: `of ${side.node}` },
    });
    await post(`/api/v1/namespaces/${TEAM}/configmaps`, {
      metadata: { name: side.configMap },
      data: { node: side.node },
    });
  }
  await post(`${rbac}/namespaces/${TEAM}/rolebindings`, {
    metadata: { name: "alice-edit" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "alice" }],
  });
  await post(`${rbac}/namespaces/${TEAM}/roles`, {
    metadata: { name: "configmap-reader" },
    rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
  });
  await post(`${rbac}/namespaces/${TEAM}/rolebindings`, {
    metadata: { name: "builder-reads-configmaps" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "configmap-reader" },
    subjects: [{ kind: "ServiceAccount", name: "builder", namespace: TEAM }],
  });
  // The objects every identity gets, updates and deletes, in both namespaces.
  const fixtures: Promise<unknown>[] = [];
  for (const kind of KINDS) {
    for (const namespace of NAMESPACES) {
      const collection = resourcePath({ ...kind, namespace } as Target);
      for (const name of [FIXTURE, ...IDENTITIES.map((i) => `del-${i}`)]) {
        fixtures.push(post(collection, kind.object(name)));
      }
    }
  }
  await Promise.all(fixtures);

  // Node credentials, the agent's way: a join token, the CA checked against its hash, then
  // the node's own credential for the bootstrap token.
  const joinToken = parseJoinToken(await skiffToken(["create", "--ttl", "1h"], server.dataDir));
  // (An agent fetches the CA from the public /cacerts: auth_attacks_test.ts checks that path.)
  assert.equal(joinToken.caHash, caCertHash(endpoint.caPem), "the join token pins the cluster CA");
  const nodeTokens: Record<string, string> = {};
  for (const side of Object.values(SIDES)) {
    nodeTokens[side.node] = await requestNodeCredential(endpoint, {
      bootstrapToken: joinToken.token,
      nodeName: side.node,
    });
  }
  const podUids: Record<string, string> = {};
  for (const side of Object.values(SIDES)) {
    using node = new HttpsIdentity(side.node, {
      endpoint,
      credentials: { token: nodeTokens[side.node]! },
    });
    // A node registers its own Node and Lease.
    await node.expect(201, {
      method: "POST",
      path: "/api/v1/nodes",
      body: { metadata: { name: side.node } },
    });
    await node.expect(201, {
      method: "POST",
      path: resourcePath({ ...LEASES, namespace: NODE_LEASES }),
      body: {
        metadata: { name: side.node },
        spec: { holderIdentity: side.node, leaseDurationSeconds: 40 },
      },
    });
    const pod = await post(
      `/api/v1/namespaces/${TEAM}/pods`,
      podObject(side.pod, {
        nodeName: side.node,
        serviceAccountName: side.serviceAccount,
        volumes: [{ name: "creds", secret: { secretName: side.secret } }],
        containers: [{
          name: "main",
          image: "busybox:1.36",
          envFrom: [{ configMapRef: { name: side.configMap } }],
          volumeMounts: [{ name: "creds", mountPath: "/creds" }],
        }],
      }),
    );
    podUids[side.pod] = (pod.metadata as { uid: string }).uid;
  }

  // alice's certificate, and builder's token from kubectl.
  const alice = await issueUserCertificate(server.dataDir, {
    commonName: "alice",
    organizations: ["dev"],
  });
  const kubectl = new Kubectl("1.33", {
    kubeconfig: server.kubeconfig,
    homeDir: join(server.scratchDir, "setup"),
  });
  const created = await kubectl.run(["create", "token", "builder", "-n", TEAM]);
  assert.equal(created.code, 0, kubectlFailure("kubectl create token", created, server));
  const builder: Credentials = { token: created.stdout.trim() };

  const actor = (
    name: IdentityName,
    o: { username: string; credentials: Credentials; own?: NodeSide },
  ): Actor => {
    const own = o.own ?? SIDES["node-a"];
    const other = own === SIDES["node-a"] ? SIDES["node-b"] : SIDES["node-a"];
    return {
      name,
      username: o.username,
      own,
      other,
      http: name === "admin"
        ? admin
        : new HttpsIdentity(name, { endpoint, credentials: o.credentials }),
    };
  };
  const actors = [
    actor("admin", { username: "system:admin", credentials: adminCredentials }),
    actor("alice", { username: "alice", credentials: alice }),
    actor("builder", { username: `system:serviceaccount:${TEAM}:builder`, credentials: builder }),
    ...Object.values(SIDES).map((side) =>
      actor(side.node as IdentityName, {
        username: `system:node:${side.node}`,
        credentials: { token: nodeTokens[side.node]! },
        own: side,
      })
    ),
    actor("anonymous", { username: "system:anonymous", credentials: {} }),
  ];
  return { server, admin, actors, podUids, credentials: { alice, builder }, nodeTokens };
}

// --- kubectl ------------------------------------------------------------------------------------

/** `Resources  Non-Resource URLs  Resource Names  Verbs` rows of `auth can-i --list`. */
function canIRows(out: string): Map<string, Set<string>> {
  const rows = new Map<string, Set<string>>();
  const lines = out.split("\n").filter((l) => l.trim() !== "");
  for (const line of lines.slice(1)) {
    const m = /^([^\s[]*)\s*\[(.*?)\]\s+\[(.*?)\]\s+\[(.*)\]$/.exec(line.trim());
    if (!m) continue;
    const keys = m[1] ? [m[1]] : m[2]!.split(" ").map((url) => `url:${url}`);
    const names = m[3] ? `/${m[3]}` : "";
    for (const key of keys) {
      const verbs = rows.get(key + names) ?? new Set<string>();
      for (const v of m[4]!.split(" ").filter((v) => v !== "")) verbs.add(v);
      rows.set(key + names, verbs);
    }
  }
  return rows;
}

/** The `ATTRIBUTE  VALUE` rows of `auth whoami`. */
function whoamiRows(out: string): Record<string, string> {
  const rows: Record<string, string> = {};
  for (const line of out.split("\n").slice(1)) {
    const m = /^(\S+(?: \S+)*?)\s{2,}(.*)$/.exec(line.trimEnd());
    if (m) rows[m[1]!] = m[2]!;
  }
  return rows;
}

async function kubectlChecks(
  world: World,
  version: typeof KUBECTL_VERSIONS[number],
): Promise<string[]> {
  const { server } = world;
  const dir = join(server.scratchDir, `kubectl-${version}`);
  await Deno.mkdir(dir, { recursive: true });
  const endpoint = world.admin.endpoint;
  const configs: Record<string, string> = { admin: server.kubeconfig };
  for (const [name, credentials] of Object.entries(world.credentials)) {
    configs[name] = join(dir, `${name}.yaml`);
    await Deno.writeTextFile(configs[name]!, kubeconfigFor(endpoint, credentials), { mode: 0o600 });
  }
  const kubectl = (as: string) =>
    new Kubectl(version, { kubeconfig: configs[as]!, homeDir: join(dir, `home-${as}`) });
  const failures: string[] = [];
  const run = async (
    as: string,
    args: string[],
    want: { code: number; stdout?: RegExp | string },
  ) => {
    const r = await kubectl(as).run(args);
    const what = `kubectl ${version} (${as}) ${args.join(" ")}`;
    const stdoutOk = want.stdout === undefined ||
      (typeof want.stdout === "string" ? r.stdout === want.stdout : want.stdout.test(r.stdout));
    if (r.code !== want.code || !stdoutOk) {
      failures.push(
        `${kubectlFailure(what, r, server)}\nwant exit ${want.code}, stdout ${
          want.stdout ?? "(any)"
        }`,
      );
    }
    return r;
  };

  // auth can-i: "yes" exits 0, "no" exits 1.
  await run("admin", ["auth", "can-i", "create", "clusterrolebindings"], {
    code: 0,
    stdout: "yes\n",
  });
  await run("alice", ["auth", "can-i", "create", "deployments", "-n", TEAM], {
    code: 0,
    stdout: "yes\n",
  });
  await run("alice", ["auth", "can-i", "delete", "secrets/secret-a", "-n", TEAM], {
    code: 0,
    stdout: "yes\n",
  });
  await run("alice", ["auth", "can-i", "get", "pods", "-n", "default"], {
    code: 1,
    stdout: "no\n",
  });
  await run("alice", ["auth", "can-i", "list", "nodes"], { code: 1, stdout: /^no\n/ });
  await run("alice", ["auth", "can-i", "get", "/api"], { code: 0, stdout: "yes\n" });
  await run("builder", ["auth", "can-i", "list", "configmaps", "-n", TEAM], {
    code: 0,
    stdout: "yes\n",
  });
  await run("builder", ["auth", "can-i", "get", "secrets", "-n", TEAM], {
    code: 1,
    stdout: "no\n",
  });

  // auth can-i --list: alice's rules in team.
  const list = await run("alice", ["auth", "can-i", "--list", "-n", TEAM], { code: 0 });
  if (list.code === 0) {
    const header = list.stdout.split("\n")[0]?.trim().split(/\s{2,}/);
    if (
      JSON.stringify(header) !==
        JSON.stringify(["Resources", "Non-Resource URLs", "Resource Names", "Verbs"])
    ) {
      failures.push(`kubectl ${version} auth can-i --list header: ${header}`);
    }
    const rows = canIRows(list.stdout);
    const wants: [string, string[]][] = [
      ["pods", ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]],
      ["secrets", [
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
      ]],
      ["configmaps", [
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
      ]],
      ["deployments.apps", [
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
      ]],
      ["serviceaccounts/token", ["create"]],
      ["selfsubjectaccessreviews.authorization.k8s.io", ["create"]],
      ["selfsubjectrulesreviews.authorization.k8s.io", ["create"]],
      ["url:/api/*", ["get"]],
      ["url:/healthz", ["get"]],
      ["url:/version", ["get"]],
    ];
    for (const [resource, verbs] of wants) {
      const got = [...(rows.get(resource) ?? [])].sort();
      if (JSON.stringify(got) !== JSON.stringify(verbs)) {
        failures.push(
          `kubectl ${version} auth can-i --list -n team: ${resource} has [${got}], want [${verbs}]\n${list.stdout}`,
        );
      }
    }
    for (
      const forbidden of [
        "nodes",
        "clusterrolebindings.rbac.authorization.k8s.io",
        "rolebindings.rbac.authorization.k8s.io",
      ]
    ) {
      if (rows.has(forbidden)) {
        failures.push(`kubectl ${version} auth can-i --list -n team lists ${forbidden}`);
      }
    }
  }

  // auth whoami for the admin, alice and the ServiceAccount token.
  const whoami = async (as: string, want: Record<string, RegExp>) => {
    const r = await run(as, ["auth", "whoami"], { code: 0 });
    if (r.code !== 0) return;
    const rows = whoamiRows(r.stdout);
    for (const [attribute, value] of Object.entries(want)) {
      if (!value.test(rows[attribute] ?? "")) {
        failures.push(
          `kubectl ${version} (${as}) auth whoami: ${attribute} is "${
            rows[attribute]
          }", want ${value}\n${r.stdout}`,
        );
      }
    }
  };
  const saGroups = /^\[system:serviceaccounts system:serviceaccounts:team system:authenticated\]$/;
  await whoami("admin", {
    Username: /^system:admin$/,
    Groups: /^\[system:masters system:authenticated\]$/,
  });
  await whoami("alice", { Username: /^alice$/, Groups: /^\[dev system:authenticated\]$/ });
  await whoami("builder", {
    Username: /^system:serviceaccount:team:builder$/,
    UID: /^[0-9a-f-]{36}$/,
    Groups: saGroups,
    "Extra: authentication.kubernetes.io/credential-id": /^\[JTI=[0-9a-f-]{36}\]$/,
  });

  // create token (1.32+ send the TokenRequest as protobuf); the token then authenticates.
  const token = await run("admin", ["create", "token", "builder", "-n", TEAM, "--duration=10m"], {
    code: 0,
    stdout: /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n?$/,
  });
  if (token.code === 0) {
    configs.fresh = join(dir, "fresh.yaml");
    await Deno.writeTextFile(
      configs.fresh,
      kubeconfigFor(endpoint, { token: token.stdout.trim() }),
      {
        mode: 0o600,
      },
    );
    await whoami("fresh", { Username: /^system:serviceaccount:team:builder$/, Groups: saGroups });
  }
  return failures;
}

// --- the test -----------------------------------------------------------------------------------

Deno.test("skiff server answers the identity matrix as Kubernetes RBAC and Node authorization do", async (t) => {
  await using server = await startTestServer();
  const world = await setUp(server);
  try {
    for (const actor of world.actors) {
      await t.step(`${actor.name} (${actor.username})`, async () => {
        const failures: string[] = [];
        for (const row of ROWS) {
          const problem = await runRow(row, actor, world);
          if (problem !== null) failures.push(`${actor.name} / ${row.op}: ${problem}`);
        }
        assert.equal(
          failures.length,
          0,
          `\n${failures.join("\n")}\nserver log tail:\n${server.logTail(10)}`,
        );
      });
    }

    await t.step(
      "a node's network identity lists and watches cluster-wide, and nothing more",
      async () => {
        using network = new HttpsIdentity("node-a network", {
          endpoint: world.admin.endpoint,
          credentials: { token: nodeNetworkToken(world.nodeTokens["node-a"]!) },
        });
        const review = await network.expect(201, {
          method: "POST",
          path: "/apis/authentication.k8s.io/v1/selfsubjectreviews",
          body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
        });
        assert.deepEqual((review.status as { userInfo: unknown }).userInfo, {
          username: "system:skiff:node-network:node-a",
          groups: ["system:skiff:node-networks", "system:authenticated"],
        });
        const pods = await network.expect(200, { method: "GET", path: "/api/v1/pods" });
        const listed = itemNames(pods);
        assert.ok(
          listed.includes(`${TEAM}/pod-a`) && listed.includes(`${TEAM}/pod-b`),
          `both nodes' pods, listed ${listed}`,
        );
        for (
          const path of [
            "/api/v1/services",
            "/api/v1/nodes",
            "/api/v1/namespaces",
            "/apis/discovery.k8s.io/v1/endpointslices",
            "/apis/networking.k8s.io/v1/networkpolicies",
            "/api/v1/pods?watch=true&timeoutSeconds=1",
          ]
        ) {
          await network.expect(200, { method: "GET", path });
        }
        for (
          const [method, path] of [
            ["GET", `/api/v1/namespaces/${TEAM}/secrets/secret-b`],
            ["GET", "/api/v1/secrets"],
            ["GET", "/api/v1/configmaps"],
            ["GET", `/api/v1/namespaces/${TEAM}/pods/pod-b`],
            ["GET", "/api/v1/nodes/node-b"],
            ["DELETE", `/api/v1/namespaces/${TEAM}/pods/pod-b`],
          ] as const
        ) {
          await network.expect(403, { method, path });
        }
        await network.expect(403, {
          method: "POST",
          path: `/api/v1/namespaces/${TEAM}/services`,
          body: { metadata: { name: "sneaky" }, spec: { ports: [{ port: 80 }] } },
        });
        // A wrong secret in the network form is refused like a wrong node credential.
        using forged = new HttpsIdentity("forged network", {
          endpoint: world.admin.endpoint,
          credentials: { token: `skiff-node-network:node-a:${"A".repeat(43)}` },
        });
        await forged.expect(401, { method: "GET", path: "/api/v1/pods" });
      },
    );

    await t.step(
      "kubectl auth can-i, auth can-i --list, auth whoami and create token",
      async (t) => {
        // Two versions at a time: each kubectl run is a process start, and there are two cores.
        const versions = [...KUBECTL_VERSIONS];
        const results = new Map<string, string[]>();
        let next = 0;
        const lane = async () => {
          while (next < versions.length) {
            const version = versions[next++]!;
            results.set(
              version,
              await kubectlChecks(world, version).catch((err) => [`kubectl ${version}: ${err}`]),
            );
          }
        };
        await Promise.all([lane(), lane()]);
        for (const version of versions) {
          await t.step(`kubectl ${version}`, () => {
            const failures = results.get(version) ?? ["not run"];
            assert.equal(failures.length, 0, `\n${failures.join("\n\n")}`);
          });
        }
      },
    );
  } finally {
    for (const actor of world.actors) actor.http[Symbol.dispose]();
  }
});
