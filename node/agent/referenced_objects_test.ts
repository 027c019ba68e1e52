import assert from "node:assert/strict";
import { CONFIG_MAPS } from "../../control/client/resources.ts";
import { RecordingLogger, systemClock } from "../../control/util/mod.ts";
import type { ConfigMap } from "../../control/api/types/core_v1_config.ts";
import { startControllerApi, until } from "../../tests/_support/controller_api.ts";
import { ReferencedObjects } from "./referenced_objects.ts";

Deno.test("ReferencedObjects watches what pods reference, reports changes and lets go", async () => {
  await using api = await startControllerApi();
  const configMaps = api.client.resource(CONFIG_MAPS);
  await configMaps.create({ metadata: { name: "app", namespace: "default" }, data: { k: "1" } });
  const changes: string[] = [];
  const objects = new ReferencedObjects<ConfigMap>({
    client: configMaps,
    clock: systemClock,
    logger: new RecordingLogger(),
    onChange: (ns, name) => changes.push(`${ns}/${name}`),
  });
  try {
    objects.setReferences("pod-a", "default", ["app", "missing"]);
    objects.setReferences("pod-b", "default", ["app"]);
    assert.equal(objects.size, 2);
    assert.equal((await objects.get("default", "app"))?.data?.k, "1");
    assert.equal(await objects.get("default", "missing"), undefined);
    assert.equal(changes.length, 0, "the first list is not a change");

    await configMaps.update({ metadata: { name: "app", namespace: "default" }, data: { k: "2" } });
    await until(() => changes.includes("default/app"), { what: "the update" });
    await until(async () => (await objects.get("default", "app"))?.data?.k === "2", {
      what: "the cache to follow",
    });
    await configMaps.create({ metadata: { name: "missing", namespace: "default" }, data: {} });
    await until(() => changes.includes("default/missing"), { what: "the add" });

    objects.setReferences("pod-a", "default", []);
    assert.equal(objects.size, 1, "app is still used by pod-b");
    objects.setReferences("pod-b", "default", []);
    assert.equal(objects.size, 0);
    // Not watched any more: read once from the API.
    assert.equal((await objects.get("default", "app"))?.data?.k, "2");
  } finally {
    await objects.close();
  }
});
