import assert from "node:assert/strict";
import { createTestApp } from "../_test_app.ts";
import { isStreamedResponse } from "./render.ts";

const CONFIGMAPS = "/api/v1/namespaces/default/configmaps";

function configMap(name: string) {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { k: "v" } };
}

Deno.test("WatchHandler.watch() answers at once from an exact resourceVersion, then streams", async () => {
  await using t = await createTestApp();
  assert.equal((await t.json("POST", CONFIGMAPS, { body: configMap("a") })).status, 201);
  const list = await t.json("GET", CONFIGMAPS);
  const rv = (list.body.metadata as { resourceVersion: string }).resourceVersion;

  // Nothing happened after `rv`: the response (status, headers) comes before any event, marked
  // streamed so that the HTTPS listener sends the headers right away.
  const res = await t.request(`${CONFIGMAPS}?watch=true&resourceVersion=${rv}&timeoutSeconds=30`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.ok(isStreamedResponse(res));

  assert.equal((await t.json("POST", CONFIGMAPS, { body: configMap("b") })).status, 201);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      assert.ok(!done, `watch ended after ${JSON.stringify(text)}`);
      text += value;
    }
    const event = JSON.parse(text.slice(0, text.indexOf("\n")));
    assert.equal(event.type, "ADDED");
    assert.equal(event.object.metadata.name, "b");
  } finally {
    await reader.cancel();
  }
});

Deno.test("RestHandler.get() answers a plain, not streamed, response", async () => {
  await using t = await createTestApp();
  const res = await t.request("/api/v1/namespaces/default");
  assert.equal(res.status, 200);
  assert.ok(!isStreamedResponse(res));
  assert.equal((await res.json()).metadata.name, "default");
});
