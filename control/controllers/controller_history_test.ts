import assert from "node:assert/strict";
import { goJson } from "../util/go_json.ts";
import type { ControllerRevision, StatefulSet } from "../api/types/apps_v1.ts";
import { Client } from "../client/client.ts";
import { compileLabelSelector } from "../client/label_selector.ts";
import { ObjectStore } from "../client/store.ts";
import type { Transport, TransportRequestOptions } from "../client/transport.ts";
import { fnv1x32 } from "./_fnv.ts";
import {
  CONTROLLER_REVISION_HASH_LABEL,
  ControllerHistory,
  controllerRevisionName,
  equalRevision,
  findEqualRevisions,
  hashControllerRevision,
  newControllerRevision,
  nextRevision,
  safeEncodeString,
  sortControllerRevisions,
  templateFromRevisionData,
  templateRevisionData,
} from "./controller_history.ts";

const KIND = { apiVersion: "apps/v1", kind: "StatefulSet" };

function set(name = "web", uid = "uid-web"): StatefulSet {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { namespace: "default", name, uid },
    spec: {
      selector: { matchLabels: { app: name } },
      serviceName: name,
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "nginx", image: "nginx:1.27" }] },
      },
    },
  };
}

function status(code: number, reason: string, message: string): Response {
  return Response.json(
    { kind: "Status", apiVersion: "v1", status: "Failure", reason, message, code },
    { status: code },
  );
}

/** The ControllerRevision endpoints, in memory. */
class FakeRevisionApi implements Transport {
  readonly objects = new Map<string, ControllerRevision>();
  readonly calls: string[] = [];
  conflicts = 0;
  #rv = 1;
  #uid = 1;

  request(method: string, path: string, options: TransportRequestOptions = {}): Promise<Response> {
    return Promise.resolve(this.#answer(method, path, options));
  }

  #answer(method: string, path: string, options: TransportRequestOptions): Response {
    const m = path.split("?")[0]!.match(
      /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/controllerrevisions(?:\/([^/]+))?$/,
    );
    if (!m) return new Response("no route", { status: 404 });
    const [, ns, name] = m;
    this.calls.push(`${method} ${name ?? ""}`);
    const body = options.body as ControllerRevision | undefined;
    if (method === "POST") {
      const key = `${ns}/${body!.metadata!.name}`;
      if (this.objects.has(key)) {
        return status(
          409,
          "AlreadyExists",
          `controllerrevisions.apps "${body!.metadata!.name}" already exists`,
        );
      }
      const created = {
        ...body!,
        metadata: {
          ...body!.metadata,
          uid: `r${this.#uid++}`,
          resourceVersion: String(this.#rv++),
        },
      };
      this.objects.set(key, created);
      return Response.json(created, { status: 201 });
    }
    const key = `${ns}/${name}`;
    const stored = this.objects.get(key);
    if (!stored) return status(404, "NotFound", `controllerrevisions.apps "${name}" not found`);
    if (method === "GET") return Response.json(stored);
    if (method === "PUT") {
      if (this.conflicts > 0) {
        this.conflicts--;
        stored.metadata!.resourceVersion = String(this.#rv++);
        return status(409, "Conflict", "the object has been modified");
      }
      if (body!.metadata?.resourceVersion !== stored.metadata?.resourceVersion) {
        return status(409, "Conflict", "the object has been modified");
      }
      const next = {
        ...body!,
        metadata: { ...body!.metadata, resourceVersion: String(this.#rv++) },
      };
      this.objects.set(key, next);
      return Response.json(next);
    }
    if (method === "DELETE") {
      this.objects.delete(key);
      return Response.json(stored);
    }
    if (method === "PATCH") {
      const patch =
        (typeof options.body === "string" ? JSON.parse(options.body) : options.body) as {
          metadata: { uid: string; ownerReferences: { $patch?: string; uid: string }[] };
        };
      if (patch.metadata.uid !== stored.metadata?.uid) {
        return status(422, "Invalid", "Precondition failed: UID in precondition");
      }
      const ref = patch.metadata.ownerReferences[0]!;
      const refs = stored.metadata?.ownerReferences ?? [];
      stored.metadata = {
        ...stored.metadata,
        ownerReferences: ref.$patch === "delete"
          ? refs.filter((r) => r.uid !== ref.uid)
          : [...refs, ref as never],
      };
      return Response.json(stored);
    }
    return new Response("unexpected", { status: 405 });
  }
}

function history(api: FakeRevisionApi, store = new ObjectStore<ControllerRevision>()) {
  return new ControllerHistory({ client: new Client(api), store });
}

Deno.test("safeEncodeString() maps digits onto the safe alphabet", () => {
  assert.equal(safeEncodeString("0123456789"), "456789bcdf");
});

Deno.test("controllerRevisionName() cuts the prefix to 223 characters", async (t) => {
  const cases: [string, string, string][] = [
    ["web", "abc", "web-abc"],
    ["x".repeat(230), "h", `${"x".repeat(223)}-h`],
  ];
  for (const [prefix, hash, want] of cases) {
    await t.step(`${prefix.length} characters`, () => {
      assert.equal(controllerRevisionName(prefix, hash), want);
    });
  }
});

Deno.test("hashControllerRevision() hashes the Go JSON of data, then the probe", () => {
  const revision = { data: { a: 1 }, revision: 1 } as ControllerRevision;
  const enc = new TextEncoder();
  const plain = fnv1x32(enc.encode('{"a":1}'));
  assert.equal(hashControllerRevision(revision), safeEncodeString(String(plain)));
  const probed = fnv1x32(enc.encode("0"), plain);
  assert.equal(hashControllerRevision(revision, 0), safeEncodeString(String(probed)));
  assert.notEqual(hashControllerRevision(revision, 0), hashControllerRevision(revision, 1));
  // Key order does not matter: Go sorts map keys.
  const reordered = { data: { b: 2, a: 1 }, revision: 1 } as ControllerRevision;
  const sorted = { data: { a: 1, b: 2 }, revision: 1 } as ControllerRevision;
  assert.equal(hashControllerRevision(reordered, 3), hashControllerRevision(sorted, 3));
  assert.match(hashControllerRevision(revision, 0), /^[456789bcdf]+$/);
});

Deno.test("newControllerRevision() names a revision as a v1.33 cluster does", () => {
  // Upstream's compatibility fixture: StatefulSet "test", revision "test-c77f6d978".
  const template = {
    metadata: { annotations: { test: "value" }, labels: { app: "foo" } },
    spec: {
      containers: [{
        image: "test",
        imagePullPolicy: "Always",
        name: "test",
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "File",
      }],
      dnsPolicy: "ClusterFirst",
      restartPolicy: "Always",
      schedulerName: "default-scheduler",
      securityContext: {},
      terminationGracePeriodSeconds: 30,
    },
  };
  const owner = { metadata: { namespace: "default", name: "test", uid: "u" } };
  const r = newControllerRevision(owner, {
    kind: KIND,
    templateLabels: { app: "foo" },
    data: templateRevisionData(template as never),
    revision: 1,
    collisionCount: 0,
  });
  assert.equal(r.metadata?.name, "test-c77f6d978");
  assert.equal(r.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL], "c77f6d978");
});

Deno.test("templateRevisionData() is a replace patch of the template in Go's struct shape", () => {
  const data = templateRevisionData(set().spec!.template);
  assert.equal(
    goJson(data),
    '{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1.27","name":"nginx","resources":{}}]}}}}',
  );
  // Keys are held sorted too, so plain JSON prints the same bytes.
  assert.equal(JSON.stringify(data), goJson(data));
  assert.deepEqual(templateFromRevisionData(data), {
    metadata: { labels: { app: "web" } },
    spec: { containers: [{ name: "nginx", image: "nginx:1.27", resources: {} }] },
  });
  assert.equal(templateFromRevisionData({}), undefined);
});

Deno.test("newControllerRevision() names, labels and owns the revision", () => {
  const owner = set();
  const data = templateRevisionData(owner.spec!.template);
  const r = newControllerRevision(owner, {
    kind: KIND,
    templateLabels: { app: "web" },
    data,
    revision: 3,
    collisionCount: 0,
  });
  const hash = hashControllerRevision({ data, revision: 0 } as ControllerRevision, 0);
  assert.equal(r.metadata?.name, `web-${hash}`);
  assert.equal(r.metadata?.namespace, "default");
  assert.deepEqual(r.metadata?.labels, { app: "web", [CONTROLLER_REVISION_HASH_LABEL]: hash });
  assert.deepEqual(r.metadata?.ownerReferences, [{
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    name: "web",
    uid: "uid-web",
    controller: true,
    blockOwnerDeletion: true,
  }]);
  assert.equal(r.revision, 3);
  assert.deepEqual(r.data, data);
});

function rev(
  name: string,
  init: Partial<
    {
      revision: number;
      created: string;
      data: unknown;
      owner: string;
      labels: Record<string, string>;
    }
  > = {},
): ControllerRevision {
  return {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      namespace: "default",
      name,
      uid: `uid-${name}`,
      resourceVersion: "1",
      labels: init.labels ?? { app: "web" },
      ...(init.created ? { creationTimestamp: init.created } : {}),
      ...(init.owner
        ? {
          ownerReferences: [{
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            name: "web",
            uid: init.owner,
            controller: true,
          }],
        }
        : {}),
    },
    data: init.data ?? { x: name },
    revision: init.revision ?? 1,
  };
}

Deno.test("equalRevision() compares data; findEqualRevisions() keeps order", async (t) => {
  const cases: [string, ControllerRevision | undefined, ControllerRevision | undefined, boolean][] =
    [
      ["both absent", undefined, undefined, true],
      ["one absent", rev("a"), undefined, false],
      [
        "same data, other key order",
        rev("a", { data: { p: 1, q: 2 } }),
        rev("b", { data: { q: 2, p: 1 } }),
        true,
      ],
      ["other data", rev("a", { data: { p: 1 } }), rev("b", { data: { p: 2 } }), false],
      [
        "numeric hash labels differ",
        rev("a", { data: { p: 1 }, labels: { [CONTROLLER_REVISION_HASH_LABEL]: "12" } }),
        rev("b", { data: { p: 1 }, labels: { [CONTROLLER_REVISION_HASH_LABEL]: "13" } }),
        false,
      ],
      [
        "safe-encoded hash labels are not compared",
        rev("a", { data: { p: 1 }, labels: { [CONTROLLER_REVISION_HASH_LABEL]: "bcd" } }),
        rev("b", { data: { p: 1 }, labels: { [CONTROLLER_REVISION_HASH_LABEL]: "fgh" } }),
        true,
      ],
    ];
  for (const [what, a, b, want] of cases) {
    await t.step(what, () => assert.equal(equalRevision(a, b), want));
  }
  const list = [rev("a", { data: 1 }), rev("b", { data: 2 }), rev("c", { data: 1 })];
  assert.deepEqual(findEqualRevisions(list, rev("n", { data: 1 })).map((r) => r.metadata?.name), [
    "a",
    "c",
  ]);
});

Deno.test("sortControllerRevisions() orders by revision, creation time, then name", () => {
  const list = [
    rev("d", { revision: 2, created: "2025-01-01T00:00:02Z" }),
    rev("c", { revision: 2, created: "2025-01-01T00:00:01Z" }),
    rev("b", { revision: 3, created: "2025-01-01T00:00:00Z" }),
    rev("z", { revision: 1, created: "2025-01-01T00:00:05Z" }),
    rev("y", { revision: 1, created: "2025-01-01T00:00:05Z" }),
  ];
  const sorted = sortControllerRevisions(list);
  assert.deepEqual(sorted.map((r) => r.metadata?.name), ["y", "z", "c", "d", "b"]);
  assert.equal(list[0]!.metadata?.name, "d", "the input is left as it was");
  assert.equal(nextRevision(list), 4);
  assert.equal(nextRevision([]), 1);
});

Deno.test("ControllerHistory.listControllerRevisions() gives owned and orphan revisions", () => {
  const store = new ObjectStore<ControllerRevision>();
  store.add(rev("mine", { owner: "uid-web" }));
  store.add(rev("orphan"));
  store.add(rev("theirs", { owner: "uid-other" }));
  store.add(rev("unlabelled", { owner: "uid-web", labels: { app: "db" } }));
  store.add({
    ...rev("elsewhere", { owner: "uid-web" }),
    metadata: { ...rev("x").metadata, namespace: "kube-system", name: "elsewhere" },
  });
  const h = history(new FakeRevisionApi(), store);
  const got = h.listControllerRevisions(
    set(),
    compileLabelSelector({ matchLabels: { app: "web" } }),
  );
  assert.deepEqual(got.map((r) => r.metadata?.name).sort(), ["mine", "orphan"]);
});

Deno.test("ControllerHistory.createControllerRevision() handles names already taken", async (t) => {
  const owner = set();
  const data = templateRevisionData(owner.spec!.template);
  const draft = () =>
    newControllerRevision(owner, { kind: KIND, data, revision: 1, collisionCount: 0 });

  await t.step("a free name is created as is", async () => {
    const api = new FakeRevisionApi();
    const got = await history(api).createControllerRevision(owner, {
      revision: draft(),
      collisionCount: 0,
    });
    assert.equal(got.collisionCount, 0);
    assert.equal(got.revision.metadata?.name, draft().metadata?.name);
    assert.deepEqual(api.calls, [`POST `]);
  });

  await t.step("the same data under the name is returned, no collision", async () => {
    const api = new FakeRevisionApi();
    api.objects.set(`default/${draft().metadata!.name}`, {
      ...draft(),
      metadata: { ...draft().metadata, uid: "old" },
    });
    const got = await history(api).createControllerRevision(owner, {
      revision: draft(),
      collisionCount: 0,
    });
    assert.equal(got.collisionCount, 0);
    assert.equal(got.revision.metadata?.uid, "old");
  });

  await t.step("other data under the name bumps the collision count", async () => {
    const api = new FakeRevisionApi();
    const taken = draft().metadata!.name!;
    api.objects.set(`default/${taken}`, { ...draft(), data: { other: true } });
    const got = await history(api).createControllerRevision(owner, {
      revision: draft(),
      collisionCount: 0,
    });
    assert.equal(got.collisionCount, 1);
    const want = `web-${hashControllerRevision(draft(), 1)}`;
    assert.equal(got.revision.metadata?.name, want);
    assert.notEqual(want, taken);
    assert.deepEqual(api.calls, [`POST `, `GET ${taken}`, `POST `]);
  });
});

Deno.test("ControllerHistory.updateControllerRevision() renumbers, retrying conflicts", async () => {
  const api = new FakeRevisionApi();
  const h = history(api);
  const { revision } = await h.createControllerRevision(set(), {
    revision: newControllerRevision(set(), {
      kind: KIND,
      data: { a: 1 },
      revision: 1,
      collisionCount: 0,
    }),
    collisionCount: 0,
  });
  api.conflicts = 2;
  const updated = await h.updateControllerRevision(revision, 5);
  assert.equal(updated.revision, 5);
  assert.equal(api.objects.get(`default/${revision.metadata!.name}`)!.revision, 5);
  api.calls.length = 0;
  assert.equal(await h.updateControllerRevision(updated, 5), updated);
  assert.deepEqual(api.calls, [], "nothing to write");
  api.conflicts = 10;
  await assert.rejects(h.updateControllerRevision(updated, 6), /modified/);
});

Deno.test("ControllerHistory adopts, releases and deletes revisions", async () => {
  const api = new FakeRevisionApi();
  const h = history(api);
  const orphan = rev("web-1");
  api.objects.set("default/web-1", orphan);
  const adopted = await h.adoptControllerRevision(set(), { kind: KIND, revision: orphan });
  assert.equal(adopted.metadata?.ownerReferences?.[0]?.uid, "uid-web");
  await assert.rejects(
    h.adoptControllerRevision(set(), { kind: KIND, revision: adopted }),
    /Cannot adopt revision "web-1": it is owned by StatefulSet "web"/,
  );
  const released = await h.releaseControllerRevision(set(), adopted);
  assert.deepEqual(released?.metadata?.ownerReferences, []);
  const stale = { ...orphan, metadata: { ...orphan.metadata, uid: "stale" } };
  assert.equal(await h.releaseControllerRevision(set(), stale), undefined, "recreated: Invalid");
  await h.deleteControllerRevision(orphan);
  assert.equal(api.objects.size, 0);
  await h.deleteControllerRevision(orphan); // already gone: no error
  assert.equal(await h.releaseControllerRevision(set(), orphan), undefined);
});
