import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { Secret } from "../../control/api/types/core_v1_config.ts";
import { FakeClock } from "../../control/util/clock.ts";
import { CriError, GrpcStatus } from "../cri/errors.ts";
import { FakeRuntime } from "./_fake_runtime.ts";
import {
  defaultPullPolicy,
  dockerCredentials,
  grpcErrorText,
  ImagePuller,
  ImagePullError,
  registryOf,
} from "./image_puller.ts";

const POD: Pod = {
  metadata: { name: "web", namespace: "default", uid: "u1" },
  spec: { containers: [], imagePullSecrets: [{ name: "creds" }] },
};

function secretOf(config: unknown, key = ".dockerconfigjson"): Secret {
  return { data: { [key]: btoa(JSON.stringify(config)) } };
}

function setup(secret?: Secret) {
  const clock = new FakeClock(0);
  const runtime = new FakeRuntime(clock);
  const events: string[] = [];
  const puller = new ImagePuller({
    runtime,
    clock,
    secrets: {
      getSecret: (_ns: string, name: string) =>
        Promise.resolve(name === "creds" ? secret : undefined),
    },
  });
  const record = (_type: string, reason: string, message: string) =>
    events.push(`${reason}: ${message}`);
  return { clock, runtime, events, puller, record };
}

Deno.test("defaultPullPolicy() is Always for latest or no tag, IfNotPresent otherwise", async (t) => {
  const cases: Array<[string, string]> = [
    ["busybox", "Always"],
    ["busybox:latest", "Always"],
    ["busybox:1.36", "IfNotPresent"],
    ["localhost:5000/app", "Always"],
    ["localhost:5000/app:2", "IfNotPresent"],
    ["busybox@sha256:abc", "IfNotPresent"],
  ];
  for (const [image, want] of cases) {
    await t.step(image, () => assert.equal(defaultPullPolicy(image), want));
  }
});

Deno.test("registryOf() names the registry host, docker.io for Docker Hub names", async (t) => {
  const cases: Array<[string, string]> = [
    ["busybox", "docker.io"],
    ["library/busybox:1", "docker.io"],
    ["docker.io/skiff/busybox:1.36", "docker.io"],
    ["index.docker.io/x/y", "docker.io"],
    ["reg.example:5000/app", "reg.example:5000"],
    ["localhost/app", "localhost"],
  ];
  for (const [image, want] of cases) {
    await t.step(image, () => assert.equal(registryOf(image), want));
  }
});

Deno.test("dockerCredentials() reads dockerconfigjson and dockercfg secrets", () => {
  const json = dockerCredentials(secretOf({
    auths: {
      "https://index.docker.io/v1/": { auth: btoa("me:pw") },
      "reg.example": { username: "u", password: "p" },
    },
  }));
  assert.deepEqual(json.get("docker.io"), {
    username: "me",
    password: "pw",
  });
  assert.deepEqual(json.get("reg.example"), {
    username: "u",
    password: "p",
  });
  const cfg = dockerCredentials(secretOf({ "reg.example": { auth: btoa("a:b") } }, ".dockercfg"));
  assert.equal(cfg.get("reg.example")?.password, "b");
  assert.equal(dockerCredentials({ data: { ".dockerconfigjson": btoa("{") } }).size, 0);
});

Deno.test("grpcErrorText() prints a CRI error as a Go gRPC client", () => {
  const err = new CriError({
    rpc: "ImageService/PullImage",
    code: GrpcStatus.NOT_FOUND,
    details: "manifest unknown",
  });
  assert.equal(grpcErrorText(err), "rpc error: code = NotFound desc = manifest unknown");
});

Deno.test("ImagePuller.ensureImage() uses a present image unless the policy is Always", async () => {
  const { runtime, events, puller, record } = setup();
  runtime.images.add("busybox:1");
  const got = await puller.ensureImage(POD, {
    container: { name: "a", image: "busybox:1" },
    record,
  });
  assert.match(got.imageRef, /^sha256:/);
  assert.deepEqual(events, ['Pulled: Container image "busybox:1" already present on machine']);
  assert.deepEqual(runtime.calls, []);
  await puller.ensureImage(POD, {
    container: { name: "a", image: "busybox:1", imagePullPolicy: "Always" },
    record,
  });
  assert.deepEqual(runtime.calls, ["PullImage busybox:1"]);
});

Deno.test("ImagePuller.ensureImage() pulls with the matching pull secret", async () => {
  const { runtime, events, puller, record } = setup(
    secretOf({ auths: { "reg.example": { auth: btoa("me:pw") } } }),
  );
  await puller.ensureImage(POD, { container: { name: "a", image: "reg.example/app:1" }, record });
  assert.deepEqual(runtime.pullAuth.get("reg.example/app:1"), {
    username: "me",
    password: "pw",
  });
  assert.equal(events[0], 'Pulling: Pulling image "reg.example/app:1"');
  assert.match(
    events[1] ?? "",
    /^Pulled: Successfully pulled image "reg\.example\/app:1" in 0s \(0s including waiting\)\. Image size: 1024 bytes\.$/,
  );
  await puller.ensureImage(POD, { container: { name: "a", image: "other.example/app:1" }, record });
  assert.equal(
    runtime.pullAuth.get("other.example/app:1"),
    undefined,
    "no credentials for another registry",
  );
});

Deno.test("ImagePuller.ensureImage() backs off after a failed pull", async () => {
  const { clock, runtime, events, puller, record } = setup();
  runtime.failNext.set(
    "PullImage",
    new CriError({
      rpc: "ImageService/PullImage",
      code: GrpcStatus.UNKNOWN,
      details: "dial tcp: i/o timeout",
    }),
  );
  const container = { name: "a", image: "reg.example/app:1" };
  await assert.rejects(puller.ensureImage(POD, { container, record }), (err: unknown) => {
    assert.ok(err instanceof ImagePullError);
    assert.equal(err.reason, "ErrImagePull");
    assert.equal(err.message, "rpc error: code = Unknown desc = dial tcp: i/o timeout");
    return true;
  });
  assert.ok(
    events.includes(
      'Failed: Failed to pull image "reg.example/app:1": rpc error: code = Unknown desc = dial tcp: i/o timeout',
    ),
  );
  await assert.rejects(puller.ensureImage(POD, { container, record }), (err: unknown) => {
    assert.ok(err instanceof ImagePullError);
    assert.equal(err.reason, "ImagePullBackOff");
    assert.equal(
      err.message,
      'Back-off pulling image "reg.example/app:1": ErrImagePull: rpc error: code = Unknown desc = dial tcp: i/o timeout',
    );
    return true;
  });
  assert.equal(puller.backoffEndsAt(POD, container.image), 10_000);
  clock.advance(10_000);
  await puller.ensureImage(POD, { container, record });
  assert.equal(puller.backoffEndsAt(POD, container.image), undefined);
});

Deno.test("ImagePuller.ensureImage() never pulls with policy Never", async () => {
  const { runtime, puller, record } = setup();
  await assert.rejects(
    puller.ensureImage(POD, {
      container: { name: "a", image: "x:1", imagePullPolicy: "Never" },
      record,
    }),
    (err: unknown) =>
      err instanceof ImagePullError && err.reason === "ErrImageNeverPull" &&
      err.message === 'Container image "x:1" is not present with pull policy of Never',
  );
  assert.deepEqual(runtime.calls, []);
});
