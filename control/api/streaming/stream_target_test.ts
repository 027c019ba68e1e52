import assert from "node:assert/strict";
import { ApiError } from "../errors.ts";
import type { Pod } from "../types/core_v1_pod.ts";
import { parseStreamOptions, streamContainer, streamTarget } from "./stream_target.ts";

function pod(containers: string[], extra: Partial<NonNullable<Pod["spec"]>> = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default" },
    spec: { nodeName: "edge-1", containers: containers.map((name) => ({ name })), ...extra },
  } as Pod;
}

function badRequest(message: string) {
  return (err: unknown) =>
    err instanceof ApiError && err.code === 400 && err.reason === "BadRequest" &&
    err.message === message;
}

Deno.test("parseStreamOptions() decodes exec, attach and port-forward queries", () => {
  const q = new URLSearchParams(
    "command=sh&command=-c&command=echo+hi&container=c1&stdin=true&stdout=1&stderr=false&tty=0",
  );
  assert.deepEqual(parseStreamOptions("exec", q), {
    subresource: "exec",
    command: ["sh", "-c", "echo hi"],
    container: "c1",
    stdin: true,
    stdout: true,
    stderr: false,
    tty: false,
    ports: [],
  });
  assert.deepEqual(parseStreamOptions("attach", q).command, [], "attach has no command");
  assert.deepEqual(
    parseStreamOptions("portforward", new URLSearchParams("ports=80&ports=8080,443")).ports,
    [80, 8080, 443],
  );
  assert.throws(
    () => parseStreamOptions("portforward", new URLSearchParams("ports=http")),
    badRequest('strconv.ParseInt: parsing "http": invalid syntax'),
  );
});

Deno.test("streamContainer() defaults the only container and words errors as upstream", async (t) => {
  await t.step("the only container", () => {
    assert.equal(streamContainer(pod(["app"]), undefined), "app");
  });
  await t.step("several: choose one, init containers listed first", () => {
    assert.throws(
      () => streamContainer(pod(["a", "b"], { initContainers: [{ name: "init" }] }), ""),
      badRequest("a container name must be specified for pod web, choose one of: [init a b]"),
    );
  });
  await t.step("none", () => {
    assert.throws(
      () => streamContainer(pod([]), undefined),
      badRequest("a container name must be specified for pod web"),
    );
  });
  await t.step("a named container must be the pod's (init and ephemeral count)", () => {
    const p = pod(["a"], {
      initContainers: [{ name: "init" }],
      ephemeralContainers: [{ name: "debug" }],
    } as Partial<NonNullable<Pod["spec"]>>);
    assert.equal(streamContainer(p, "init"), "init");
    assert.equal(streamContainer(p, "debug"), "debug");
    assert.throws(
      () => streamContainer(p, "x"),
      badRequest("container x is not valid for pod web"),
    );
  });
});

Deno.test("streamTarget() builds the kubelet path and query as upstream's stream location", async (t) => {
  await t.step("exec: flags as 1, keys sorted, commands in order", () => {
    const options = parseStreamOptions(
      "exec",
      new URLSearchParams("command=sh&command=-c&command=exit 3&stdin=true&stdout=true&tty=true"),
    );
    assert.deepEqual(streamTarget(pod(["app"]), options), {
      nodeName: "edge-1",
      container: "app",
      path: "/exec/default/web/app?command=sh&command=-c&command=exit+3&input=1&output=1&tty=1",
    });
  });
  await t.step("attach", () => {
    const options = parseStreamOptions("attach", new URLSearchParams("stdout=1&stderr=1"));
    assert.equal(
      streamTarget(pod(["app"]), options).path,
      "/attach/default/web/app?error=1&output=1",
    );
  });
  await t.step("port-forward: the pod, ports as port", () => {
    const options = parseStreamOptions("portforward", new URLSearchParams("ports=80"));
    assert.deepEqual(streamTarget(pod(["a", "b"]), options), {
      nodeName: "edge-1",
      container: "",
      path: "/portForward/default/web?port=80",
    });
  });
  await t.step("an unbound pod", () => {
    const p = pod(["app"]);
    delete p.spec!.nodeName;
    assert.throws(
      () => streamTarget(p, parseStreamOptions("exec", new URLSearchParams())),
      badRequest("pod web does not have a host assigned"),
    );
  });
});
