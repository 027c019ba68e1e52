import assert from "node:assert/strict";
import { acceptedNames, setCondition } from "./crd_controller.ts";
import { startCrdTestServer } from "./_test_server.ts";
import type {
  CustomResourceDefinition,
  CustomResourceDefinitionStatus,
} from "../types/apiextensions_v1.ts";

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const CRONTABS = "/apis/stable.example.com/v1/namespaces/default/crontabs";

function cronTabCrd(extra: { versions?: unknown[]; name?: string; kind?: string } = {}) {
  const plural = extra.name ?? "crontabs";
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.stable.example.com` },
    spec: {
      group: "stable.example.com",
      scope: "Namespaced",
      names: {
        plural,
        kind: extra.kind ?? "CronTab",
        shortNames: plural === "crontabs" ? ["ct"] : [],
        categories: ["all"],
      },
      versions: extra.versions ?? [{
        name: "v1",
        served: true,
        storage: true,
        subresources: {
          status: {},
          scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" },
        },
        additionalPrinterColumns: [
          { name: "Spec", type: "string", jsonPath: ".spec.cronSpec" },
          { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
          { name: "Image", type: "string", jsonPath: ".spec.image", priority: 1 },
        ],
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: {
                type: "object",
                "x-kubernetes-validations": [{
                  rule: "self.replicas <= self.maxReplicas",
                  message: "replicas must not exceed maxReplicas",
                }],
                properties: {
                  cronSpec: { type: "string" },
                  image: { type: "string" },
                  replicas: { type: "integer", minimum: 0, default: 1 },
                  maxReplicas: { type: "integer", default: 10 },
                },
                required: ["cronSpec"],
              },
              status: { type: "object", properties: { replicas: { type: "integer" } } },
            },
          },
        },
      }],
    },
  };
}

function cronTab(name: string, spec: Record<string, unknown>) {
  return { apiVersion: "stable.example.com/v1", kind: "CronTab", metadata: { name }, spec };
}

Deno.test("acceptedNames() accepts free names and reports the first conflict as upstream", async (t) => {
  const crd = cronTabCrd() as unknown as CustomResourceDefinition;
  crd.spec.names.listKind = "CronTabList";
  crd.spec.names.singular = "crontab";
  const cases: {
    name: string;
    other: Record<string, unknown>;
    want: { status: string; reason: string; message: string };
  }[] = [
    {
      name: "no other CRD",
      other: { plural: "widgets", kind: "Widget" },
      want: { status: "True", reason: "NoConflicts", message: "no conflicts found" },
    },
    {
      name: "same plural",
      other: { plural: "crontabs", kind: "Other" },
      want: { status: "False", reason: "PluralConflict", message: '"crontabs" is already in use' },
    },
    {
      name: "same kind",
      other: { plural: "others", kind: "CronTab" },
      want: { status: "False", reason: "KindConflict", message: '"CronTab" is already in use' },
    },
    {
      name: "short name taken",
      other: { plural: "others", kind: "Other", shortNames: ["ct"] },
      want: { status: "False", reason: "ShortNamesConflict", message: '"ct" is already in use' },
    },
    {
      name: "list kind taken",
      other: { plural: "others", kind: "Other", listKind: "CronTabList" },
      want: {
        status: "False",
        reason: "ListKindConflict",
        message: '"CronTabList" is already in use',
      },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const other = {
        metadata: { name: "others.stable.example.com" },
        spec: { group: "stable.example.com" },
        status: { acceptedNames: c.other },
      } as unknown as CustomResourceDefinition;
      const r = acceptedNames(crd, [crd, other]);
      assert.deepEqual(
        { status: r.condition.status, reason: r.condition.reason, message: r.condition.message },
        c.want,
      );
      if (c.want.status === "True") assert.equal(r.names.plural, "crontabs");
    });
  }
});

Deno.test("setCondition() keeps lastTransitionTime while the status stays", () => {
  const status: CustomResourceDefinitionStatus = { acceptedNames: { plural: "", kind: "" } };
  setCondition(status, { condition: { type: "Established", status: "False" }, nowMs: 0 });
  setCondition(status, { condition: { type: "Established", status: "False" }, nowMs: 5000 });
  assert.equal(status.conditions?.[0]?.lastTransitionTime, "1970-01-01T00:00:00Z");
  setCondition(status, { condition: { type: "Established", status: "True" }, nowMs: 7000 });
  assert.equal(status.conditions?.[0]?.lastTransitionTime, "1970-01-01T00:00:07Z");
  assert.equal(status.conditions?.length, 1);
});

Deno.test("CustomResourceDefinitions serves an established CRD's custom resources", async (t) => {
  await using s = await startCrdTestServer();
  const etagBefore = (await s.app.request("/apis", {
    headers: { accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" },
  })).headers.get("etag");
  const crd = await s.establish(cronTabCrd());

  await t.step("the CRD's status: accepted names, conditions, stored versions", () => {
    const status = crd.status as CustomResourceDefinitionStatus;
    assert.deepEqual(status.acceptedNames, {
      plural: "crontabs",
      singular: "crontab",
      shortNames: ["ct"],
      kind: "CronTab",
      listKind: "CronTabList",
      categories: ["all"],
    });
    assert.deepEqual(
      status.conditions?.map((c) => [c.type, c.status, c.reason, c.message]),
      [
        ["NamesAccepted", "True", "NoConflicts", "no conflicts found"],
        ["Established", "True", "InitialNamesAccepted", "the initial names have been accepted"],
      ],
    );
    assert.deepEqual(status.storedVersions, ["v1"]);
    assert.deepEqual((crd.metadata as { finalizers: string[] }).finalizers, [
      "customresourcecleanup.apiextensions.k8s.io",
    ]);
  });

  await t.step(
    "discovery lists the group, version and resource; the aggregated ETag changed",
    async () => {
      const groups = await s.json("GET", "/apis");
      const group = (groups.body.groups as { name: string }[]).find((g) =>
        g.name === "stable.example.com"
      );
      assert.deepEqual(group, {
        name: "stable.example.com",
        versions: [{ groupVersion: "stable.example.com/v1", version: "v1" }],
        preferredVersion: { groupVersion: "stable.example.com/v1", version: "v1" },
      });
      const list = await s.json("GET", "/apis/stable.example.com/v1");
      const resources = list.body.resources as Record<string, unknown>[];
      assert.deepEqual(resources.map((r) => r.name), [
        "crontabs",
        "crontabs/scale",
        "crontabs/status",
      ]);
      assert.deepEqual(resources[0], {
        name: "crontabs",
        singularName: "crontab",
        namespaced: true,
        kind: "CronTab",
        verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        shortNames: ["ct"],
        categories: ["all"],
      });
      const etagAfter = (await s.app.request("/apis", {
        headers: {
          accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
        },
      })).headers.get("etag");
      assert.notEqual(etagAfter, etagBefore);
    },
  );

  await t.step("OpenAPI v3 and v2 carry the kind's schema", async () => {
    const index = await s.json("GET", "/openapi/v3");
    assert.ok("apis/stable.example.com/v1" in (index.body.paths as Record<string, unknown>));
    const doc = await s.json("GET", "/openapi/v3/apis/stable.example.com/v1");
    const schemas = (doc.body.components as { schemas: Record<string, Record<string, unknown>> })
      .schemas;
    const kind = schemas["com.example.stable.v1.CronTab"]!;
    assert.deepEqual(kind["x-kubernetes-group-version-kind"], [
      { group: "stable.example.com", kind: "CronTab", version: "v1" },
    ]);
    const spec = (kind.properties as Record<string, Record<string, unknown>>).spec!;
    assert.equal(spec.type, "object");
    assert.deepEqual(spec.required, ["cronSpec"]);
    const v2 = await s.json("GET", "/openapi/v2");
    assert.ok("com.example.stable.v1.CronTab" in (v2.body.definitions as object));
  });

  await t.step("create defaults, prunes nothing declared, and answers 201", async () => {
    const res = await s.json("POST", CRONTABS, {
      body: cronTab("a", { cronSpec: "* * * * *", image: "img" }),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.spec, {
      cronSpec: "* * * * *",
      image: "img",
      replicas: 1,
      maxReplicas: 10,
    });
    assert.equal((res.body.metadata as { generation: number }).generation, 1);
    assert.equal(res.body.status, undefined);
  });

  await t.step("a mistyped field is 422 with upstream's message; rules are not run", async () => {
    const res = await s.json("POST", CRONTABS, {
      body: cronTab("b", { cronSpec: "x", replicas: "three" }),
    });
    assert.equal(res.status, 422);
    assert.equal(
      res.body.message,
      'CronTab.stable.example.com "b" is invalid: [spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string", <nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]',
    );
  });

  await t.step("a mistyped object is 422 too, not a decode error", async () => {
    const res = await s.json("POST", CRONTABS, {
      body: { ...cronTab("b2", {}), spec: "every minute" },
    });
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.match(
      String(res.body.message),
      /^CronTab\.stable\.example\.com "b2" is invalid: .*spec: Invalid value: "string": spec in body must be of type object: "string"/,
    );
    const missing = await s.json("GET", `${CRONTABS}/b2`);
    assert.equal(missing.status, 404);
    // Server-side apply of the same fails earlier, building the typed patch, with upstream's
    // 500, and stores nothing either.
    const applied = await s.json("PATCH", `${CRONTABS}/b2?fieldManager=test`, {
      contentType: "application/apply-patch+yaml",
      body: JSON.stringify({ ...cronTab("b2", {}), spec: "every minute" }),
    });
    assert.equal(applied.status, 500, JSON.stringify(applied.body));
    assert.match(String(applied.body.message), /^failed to create typed patch object /);
    assert.equal((await s.json("GET", `${CRONTABS}/b2`)).status, 404);
  });

  await t.step("a failing CEL rule reports its message", async () => {
    const res = await s.json("POST", CRONTABS, {
      body: cronTab("c", { cronSpec: "x", replicas: 20 }),
    });
    assert.equal(res.status, 422);
    assert.equal(
      res.body.message,
      'CronTab.stable.example.com "c" is invalid: spec: Invalid value: "object": replicas must not exceed maxReplicas',
    );
  });

  await t.step("a missing required field", async () => {
    const res = await s.json("POST", CRONTABS, { body: cronTab("d", { image: "x" }) });
    assert.equal(res.status, 422);
    assert.equal(
      res.body.message,
      'CronTab.stable.example.com "d" is invalid: spec.cronSpec: Required value',
    );
  });

  await t.step("unknown fields are refused under Strict and pruned under Ignore", async () => {
    const strict = await s.json("POST", `${CRONTABS}?fieldValidation=Strict`, {
      body: cronTab("e", { cronSpec: "x", foo: 1 }),
    });
    assert.equal(strict.status, 400);
    assert.equal(
      strict.body.message,
      'CronTab in version "v1" cannot be handled as a CronTab: strict decoding error: unknown field "spec.foo"',
    );
    const ignored = await s.json("POST", `${CRONTABS}?fieldValidation=Ignore`, {
      body: cronTab("e", { cronSpec: "x", foo: 1 }),
    });
    assert.equal(ignored.status, 201);
    assert.equal((ignored.body.spec as Record<string, unknown>).foo, undefined);
  });

  await t.step("list and field selectors", async () => {
    const all = await s.json("GET", CRONTABS);
    assert.equal(all.body.kind, "CronTabList");
    assert.deepEqual(
      (all.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name),
      [
        "a",
        "e",
      ],
    );
    const one = await s.json("GET", `${CRONTABS}?fieldSelector=metadata.name%3De`);
    assert.equal((one.body.items as unknown[]).length, 1);
    const bad = await s.json("GET", `${CRONTABS}?fieldSelector=spec.image%3Dx`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.message, "field label not supported: spec.image");
  });

  await t.step("Table output has the printer columns", async () => {
    const res = await s.json("GET", CRONTABS, {
      accept: "application/json;as=Table;v=v1;g=meta.k8s.io",
    });
    const table = res.body as {
      columnDefinitions: { name: string; priority: number }[];
      rows: { cells: unknown[] }[];
    };
    assert.deepEqual(table.columnDefinitions.map((c) => [c.name, c.priority]), [
      ["Name", 0],
      ["Spec", 0],
      ["Replicas", 0],
      ["Image", 1],
    ]);
    assert.deepEqual(table.rows[0]?.cells, ["a", "* * * * *", 1, "img"]);
  });

  await t.step("status is ignored on the main resource and written through /status", async () => {
    const patched = await s.json("PATCH", `${CRONTABS}/a`, {
      contentType: "application/merge-patch+json",
      body: { status: { replicas: 5 } },
    });
    assert.equal(patched.body.status, undefined);
    const status = await s.json("PATCH", `${CRONTABS}/a/status`, {
      contentType: "application/merge-patch+json",
      body: { status: { replicas: 5 } },
    });
    assert.equal(status.status, 200, JSON.stringify(status.body));
    assert.deepEqual(status.body.status, { replicas: 5 });
  });

  await t.step("a strategic merge patch is refused with 415, as upstream", async () => {
    const res = await s.json("PATCH", `${CRONTABS}/a`, {
      contentType: "application/strategic-merge-patch+json",
      body: { spec: { image: "other" } },
    });
    assert.equal(res.status, 415);
    assert.equal(
      res.body.message,
      "the body of the request was in an unknown format - accepted media types include: " +
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
    );
  });

  await t.step("scale reads and writes the replica paths", async () => {
    const patched = await s.json("PATCH", `${CRONTABS}/a/scale`, {
      contentType: "application/merge-patch+json",
      body: { spec: { replicas: 3 } },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(patched.body.spec, { replicas: 3 });
    assert.deepEqual(patched.body.status, { replicas: 5 });
    const got = await s.json("GET", `${CRONTABS}/a`);
    assert.equal((got.body.spec as { replicas: number }).replicas, 3);
    assert.equal((got.body.metadata as { generation: number }).generation, 2);
  });

  await t.step("scale goes through the custom resource's validation and CEL rules", async () => {
    const res = await s.json("PATCH", `${CRONTABS}/a/scale`, {
      contentType: "application/merge-patch+json",
      body: { spec: { replicas: 11 } },
    });
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(
      res.body.message,
      'CronTab.stable.example.com "a" is invalid: spec: Invalid value: "object": replicas must not exceed maxReplicas',
    );
    const got = await s.json("GET", `${CRONTABS}/a`);
    assert.equal((got.body.spec as { replicas: number }).replicas, 3);
  });

  await t.step("a second CRD with the same kind (and singular) is not established", async () => {
    const res = await s.json("POST", CRDS, {
      body: cronTabCrd({ name: "crontabz" }),
    });
    assert.equal(res.status, 201);
    for (let i = 0; i < 100; i++) {
      await s.crds.idle();
      const got = await s.json("GET", `${CRDS}/crontabz.stable.example.com`);
      const conditions = (got.body.status as CustomResourceDefinitionStatus).conditions ?? [];
      if (conditions.length === 2) {
        assert.deepEqual(conditions.map((c) => [c.type, c.status, c.reason, c.message]), [
          ["NamesAccepted", "False", "SingularConflict", '"crontab" is already in use'],
          ["Established", "False", "NotAccepted", "not all names are accepted"],
        ]);
        return;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.fail("no conditions on the conflicting CRD");
  });

  await t.step("deleting the CRD deletes its custom resources, then the CRD", async () => {
    const res = await s.json("DELETE", `${CRDS}/crontabs.stable.example.com`);
    assert.equal(res.status, 200);
    for (let i = 0; i < 200; i++) {
      await s.crds.idle();
      const got = await s.json("GET", `${CRDS}/crontabs.stable.example.com`);
      if (got.status === 404) {
        const left = await s.storage.list("/registry/stable.example.com/crontabs/");
        assert.equal(left.items.length, 0);
        const gone = await s.json("GET", CRONTABS);
        assert.equal(gone.status, 404);
        return;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.fail("the CRD was not deleted");
  });
});

Deno.test("CustomResourceDefinitions serves several versions with None conversion", async () => {
  await using s = await startCrdTestServer();
  const schema = {
    openAPIV3Schema: {
      type: "object",
      properties: { spec: { type: "object", properties: { size: { type: "integer" } } } },
    },
  };
  await s.establish({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Cluster",
      names: { plural: "widgets", kind: "Widget" },
      versions: [
        { name: "v1beta1", served: true, storage: false, deprecated: true, schema },
        { name: "v1", served: true, storage: true, schema },
      ],
    },
  });
  const created = await s.json("POST", "/apis/example.com/v1beta1/widgets", {
    body: {
      apiVersion: "example.com/v1beta1",
      kind: "Widget",
      metadata: { name: "w" },
      spec: { size: 2 },
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.apiVersion, "example.com/v1beta1");
  assert.equal(
    created.headers.get("warning"),
    '299 - "example.com/v1beta1 Widget is deprecated; use example.com/v1 Widget"',
  );
  const stored = await s.storage.get("/registry/example.com/widgets/w");
  assert.equal(JSON.parse(new TextDecoder().decode(stored!.value)).apiVersion, "example.com/v1");
  const v1 = await s.json("GET", "/apis/example.com/v1/widgets/w");
  assert.equal(v1.body.apiVersion, "example.com/v1");
  const beta = await s.json("GET", "/apis/example.com/v1beta1/widgets");
  assert.deepEqual(
    (beta.body.items as { apiVersion: string }[]).map((i) => i.apiVersion),
    ["example.com/v1beta1"],
  );
  const group = await s.json("GET", "/apis/example.com");
  assert.deepEqual(group.body.preferredVersion, { groupVersion: "example.com/v1", version: "v1" });
});

Deno.test("CustomResourceDefinition writes are validated with upstream's messages", async (t) => {
  await using s = await startCrdTestServer();
  const cases: {
    name: string;
    mutate: (crd: ReturnType<typeof cronTabCrd>) => void;
    want: string;
  }[] = [
    {
      name: "name not plural.group",
      mutate: (c) => (c.metadata.name = "crontab.stable.example.com"),
      want:
        'metadata.name: Invalid value: "crontab.stable.example.com": must be spec.names.plural+"."+spec.group',
    },
    {
      name: "webhook conversion",
      mutate: (c) => ((c.spec as Record<string, unknown>).conversion = { strategy: "Webhook" }),
      want:
        'spec.conversion.strategy: Forbidden: skiff cannot call conversion webhooks: use strategy "None"',
    },
    {
      name: "no storage version",
      mutate: (c) => ((c.spec.versions[0] as { storage: boolean }).storage = false),
      want: "must have exactly one version marked as storage version",
    },
    {
      name: "non-structural schema",
      mutate: (c) => {
        const v = c.spec.versions[0] as { schema: { openAPIV3Schema: Record<string, unknown> } };
        v.schema.openAPIV3Schema = { type: "object", properties: { spec: {} } };
      },
      want:
        "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const crd = cronTabCrd();
      c.mutate(crd);
      const res = await s.json("POST", CRDS, { body: crd });
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.match(
        String(res.body.message),
        new RegExp(c.want.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
      );
    });
  }
});
