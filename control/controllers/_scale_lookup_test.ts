import assert from "node:assert/strict";
import type { OwnerReference } from "../api/types/meta_v1.ts";
import { DEPLOYMENTS } from "../client/resources.ts";
import { startControllerApi } from "../../tests/_support/controller_api.ts";
import { ApiScaleLookup, parseGroupVersion } from "./_scale_lookup.ts";

Deno.test("parseGroupVersion() splits apiVersions as apimachinery does", async (t) => {
  const cases: [string, { group: string; version: string } | string][] = [
    ["v1", { group: "", version: "v1" }],
    ["apps/v1", { group: "apps", version: "v1" }],
    ["", { group: "", version: "" }],
    ["a/b/c", "unexpected GroupVersion string: a/b/c"],
  ];
  for (const [apiVersion, want] of cases) {
    await t.step(JSON.stringify(apiVersion), () => {
      if (typeof want === "string") {
        assert.throws(() => parseGroupVersion(apiVersion), { message: want });
      } else {
        assert.deepEqual(parseGroupVersion(apiVersion), want);
      }
    });
  }
});

Deno.test("ApiScaleLookup.scaleOf() reads the scale subresource of the owner's kind", async (t) => {
  await using api = await startControllerApi();
  const lookup = new ApiScaleLookup(api.transport);
  const d = await api.client.resource(DEPLOYMENTS).create({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { namespace: "default", name: "web" },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "main", image: "busybox" }] },
      },
    },
  });
  const ref = (over: Partial<OwnerReference>): OwnerReference => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: "web",
    uid: d.metadata?.uid ?? "",
    ...over,
  });
  await t.step("the object's uid and spec.replicas", async () => {
    assert.deepEqual(await lookup.scaleOf(ref({}), "default"), {
      uid: d.metadata?.uid,
      replicas: 3,
    });
  });
  await t.step("another uid is no match", async () => {
    assert.equal(await lookup.scaleOf(ref({ uid: "other" }), "default"), null);
  });
  await t.step("a missing object is no match", async () => {
    assert.equal(await lookup.scaleOf(ref({ name: "gone" }), "default"), null);
  });
  await t.step("an unknown kind fails as a REST mapping does", async () => {
    await assert.rejects(() => lookup.scaleOf(ref({ kind: "Widget" }), "default"), {
      message: 'no matches for kind "Widget" in version "apps/v1"',
    });
    await assert.rejects(
      () => lookup.scaleOf(ref({ apiVersion: "example.com/v1", kind: "Widget" }), "default"),
      { message: 'no matches for kind "Widget" in version "example.com/v1"' },
    );
  });
  await t.step("a kind without a scale subresource says so", async () => {
    await assert.rejects(
      () => lookup.scaleOf(ref({ apiVersion: "apps/v1", kind: "ControllerRevision" }), "default"),
      { message: "controllerrevisions.apps does not implement the scale subresource" },
    );
  });
});
