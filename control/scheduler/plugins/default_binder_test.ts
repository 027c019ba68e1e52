import assert from "node:assert/strict";
import { Client } from "../../client/client.ts";
import type { Transport, TransportRequestOptions } from "../../client/transport.ts";
import { CycleState } from "../cycle_state.ts";
import { testPod } from "../_testing.ts";
import { bindingFor, NAME, newDefaultBinder } from "./default_binder.ts";

interface Sent {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

/** A transport that records requests and answers each with `answer`. */
function recording(answer: () => Response): { transport: Transport; sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    transport: {
      request(method: string, path: string, options?: TransportRequestOptions) {
        sent.push({ method, path, body: options?.body });
        return Promise.resolve(answer());
      },
    },
  };
}

function success(): Response {
  return Response.json({ kind: "Status", apiVersion: "v1", status: "Success", code: 201 }, {
    status: 201,
  });
}

Deno.test("bindingFor() names the pod by name and UID and targets the node", () => {
  assert.deepEqual(bindingFor(testPod({ name: "web", uid: "u1" }), "edge-1"), {
    apiVersion: "v1",
    kind: "Binding",
    metadata: { name: "web", namespace: "default", uid: "u1" },
    target: { apiVersion: "v1", kind: "Node", name: "edge-1" },
  });
});

Deno.test("DefaultBinder.bind() posts the pod's binding subresource", async () => {
  const { transport, sent } = recording(success);
  const client = new Client(transport);
  const plugin = newDefaultBinder(undefined, {
    snapshot: () => undefined as never,
    client: () => client,
  });
  assert.equal(plugin.name, NAME);
  const status = await plugin.bind(new CycleState(), testPod({ name: "web", uid: "u1" }), "edge-1");
  assert.equal(status, null);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.method, "POST");
  assert.equal(sent[0]!.path, "/api/v1/namespaces/default/pods/web/binding");
  assert.deepEqual(sent[0]!.body, bindingFor(testPod({ name: "web", uid: "u1" }), "edge-1"));
});

Deno.test("DefaultBinder.bind() turns a refused binding into an Error status with the API's message", async (t) => {
  const cases = [
    {
      name: "a conflict",
      answer: () =>
        Response.json({
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          reason: "Conflict",
          code: 409,
          message:
            'Operation cannot be fulfilled on pods/binding "web": pod web is already assigned to node "edge-2"',
        }, { status: 409 }),
      want:
        'Operation cannot be fulfilled on pods/binding "web": pod web is already assigned to node "edge-2"',
    },
    {
      name: "a missing pod",
      answer: () =>
        Response.json({
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          reason: "NotFound",
          code: 404,
          message: 'pods "web" not found',
        }, { status: 404 }),
      want: 'pods "web" not found',
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const client = new Client(recording(c.answer).transport);
      const plugin = newDefaultBinder(undefined, {
        snapshot: () => undefined as never,
        client: () => client,
      });
      const status = await plugin.bind(new CycleState(), testPod({ name: "web" }), "edge-1");
      assert.deepEqual(status, { code: "Error", reasons: [c.want] });
    });
  }
});

Deno.test("DefaultBinder.bind() without a client is an Error status", async () => {
  const plugin = newDefaultBinder(undefined, { snapshot: () => undefined as never });
  const status = await plugin.bind(new CycleState(), testPod({ name: "web" }), "edge-1");
  assert.deepEqual(status, {
    code: "Error",
    reasons: ['Cannot bind pod "default/web": the scheduler has no API client'],
  });
});

Deno.test("newDefaultBinder() refuses args", () => {
  assert.throws(
    () => newDefaultBinder({ foo: 1 }, { snapshot: () => undefined as never }),
    /Invalid args for plugin "DefaultBinder"/,
  );
});
