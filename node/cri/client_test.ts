import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import {
  type sendUnaryData,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceDefinition,
  status,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { criMethod, criMethodNames, type CriServiceName } from "./_package.ts";
import { CriClient } from "./client.ts";
import { CriError, GrpcStatus, isCriNotFound } from "./errors.ts";

type Handler = (request: Record<string, unknown>) => Promise<object> | object;

/** A CRI runtime stand-in: a grpc-js server on a unix socket answering with `handlers`. */
async function fakeRuntime(
  handlers: Partial<Record<string, Handler>>,
): Promise<{ endpoint: string; requests: { rpc: string; request: unknown }[] } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-cri-test-" });
  const socket = join(dir, "cri.sock");
  const server = new Server();
  const requests: { rpc: string; request: unknown }[] = [];
  for (const service of ["RuntimeService", "ImageService"] as CriServiceName[]) {
    // grpc-js frames what its serializers return with Buffer methods: hand it Buffers.
    const definition = Object.fromEntries(
      criMethodNames(service).map((name) => {
        const m = criMethod(service, name);
        return [name, {
          ...m,
          requestSerialize: (v: object) => Buffer.from(m.requestSerialize(v)),
          responseSerialize: (v: object) => Buffer.from(m.responseSerialize(v)),
        }];
      }),
    );
    const implementation: UntypedServiceImplementation = {};
    for (const name of criMethodNames(service)) {
      const handler = handlers[name];
      if (!handler) continue;
      implementation[name] = (
        call: ServerUnaryCall<Record<string, unknown>, object>,
        callback: sendUnaryData<object>,
      ) => {
        requests.push({ rpc: `${service}/${name}`, request: call.request });
        Promise.resolve()
          .then(() => handler(call.request))
          .then((response) => callback(null, response), (err) => callback(err));
      };
    }
    server.addService(definition as unknown as ServiceDefinition, implementation);
  }
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(
      `unix://${socket}`,
      ServerCredentials.createInsecure(),
      (err) => err ? reject(err) : resolve(),
    );
  });
  return {
    endpoint: `unix://${socket}`,
    requests,
    async [Symbol.asyncDispose]() {
      server.forceShutdown();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(details), { code, details });
}

Deno.test("CriClient sends typed requests and returns decoded responses", async () => {
  await using runtime = await fakeRuntime({
    Version: () => ({
      version: "0.1.0",
      runtimeName: "fake",
      runtimeVersion: "1.0",
      runtimeApiVersion: "v1",
    }),
    ListContainers: (request) => ({
      containers: [{ id: "c1", state: "CONTAINER_RUNNING", createdAt: "1763789533944100601" }],
      echoed: request,
    }),
    ImageFsInfo: () => ({}),
  });
  using cri = new CriClient({ endpoint: runtime.endpoint });
  assert.deepEqual(await cri.version({ version: "0.1.0" }), {
    version: "0.1.0",
    runtimeName: "fake",
    runtimeVersion: "1.0",
    runtimeApiVersion: "v1",
  });
  const listed = await cri.listContainers({ filter: { state: { state: "CONTAINER_RUNNING" } } });
  assert.equal(listed.containers.length, 1);
  assert.equal(listed.containers[0]?.state, "CONTAINER_RUNNING");
  assert.equal(listed.containers[0]?.createdAt, "1763789533944100601");
  assert.equal(listed.containers[0]?.metadata, null);
  assert.deepEqual(await cri.imageFsInfo(), { imageFilesystems: [] });
  assert.deepEqual(runtime.requests.map((r) => r.rpc), [
    "RuntimeService/Version",
    "RuntimeService/ListContainers",
    "ImageService/ImageFsInfo",
  ]);
  // The server decoded what the client encoded.
  assert.deepEqual(
    (runtime.requests[1]?.request as { filter: unknown }).filter,
    { id: "", state: { state: "CONTAINER_RUNNING" }, podSandboxId: "", labelSelector: {} },
  );
});

Deno.test("CriClient maps gRPC failures to a CriError naming the RPC and the status", async (t) => {
  await using runtime = await fakeRuntime({
    ContainerStatus: (r) => {
      throw grpcError(
        status.NOT_FOUND,
        `an error occurred when try to find container "${r.containerId}": not found`,
      );
    },
    RunPodSandbox: () => {
      throw grpcError(status.UNKNOWN, "failed to start sandbox container");
    },
    ImageStatus: () => {
      throw grpcError(status.INVALID_ARGUMENT, "bad image");
    },
  });
  using cri = new CriClient({ endpoint: runtime.endpoint });
  const cases: {
    name: string;
    call: () => Promise<unknown>;
    message: string;
    code: number;
    notFound: boolean;
  }[] = [
    {
      name: "NOT_FOUND for a container",
      call: () => cri.containerStatus({ containerId: "abc" }),
      message: 'CRI RuntimeService/ContainerStatus of container "abc" failed: NOT_FOUND: ' +
        'an error occurred when try to find container "abc": not found',
      code: GrpcStatus.NOT_FOUND,
      notFound: true,
    },
    {
      name: "UNKNOWN for a pod",
      call: () =>
        cri.runPodSandbox({
          config: { metadata: { name: "web", uid: "u", namespace: "default", attempt: 0 } },
        }),
      message:
        'CRI RuntimeService/RunPodSandbox of pod "default/web" failed: UNKNOWN: failed to start sandbox container',
      code: GrpcStatus.UNKNOWN,
      notFound: false,
    },
    {
      name: "INVALID_ARGUMENT for an image",
      call: () => cri.imageStatus({ image: { image: "x:1" } }),
      message: 'CRI ImageService/ImageStatus of image "x:1" failed: INVALID_ARGUMENT: bad image',
      code: GrpcStatus.INVALID_ARGUMENT,
      notFound: false,
    },
    {
      name: "UNIMPLEMENTED for an RPC the runtime lacks",
      call: () => cri.reopenContainerLog({ containerId: "c9" }),
      message: 'CRI RuntimeService/ReopenContainerLog of container "c9" failed: UNIMPLEMENTED',
      code: GrpcStatus.UNIMPLEMENTED,
      notFound: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const err = await c.call().then(() => assert.fail("expected a CriError"), (e) => e);
      assert.ok(err instanceof CriError);
      assert.equal(err.name, "CriError");
      assert.equal(err.code, c.code);
      assert.equal(err.isNotFound, c.notFound);
      assert.equal(isCriNotFound(err), c.notFound);
      assert.ok(
        err.message.startsWith(c.message),
        `message ${JSON.stringify(err.message)} should start with ${JSON.stringify(c.message)}`,
      );
    });
  }
});

Deno.test("CriClient ends a call at its deadline or when its signal aborts", async (t) => {
  const hung: (() => void)[] = [];
  await using runtime = await fakeRuntime({
    StopContainer: () => new Promise((resolve) => hung.push(() => resolve({}))),
  });
  using cri = new CriClient({ endpoint: runtime.endpoint, timeoutMs: 50 });

  await t.step("the client's default deadline", async () => {
    await assert.rejects(cri.stopContainer({ containerId: "c1", timeout: 10 }), (err) => {
      assert.ok(err instanceof CriError);
      assert.equal(err.codeName, "DEADLINE_EXCEEDED");
      assert.equal(err.rpc, "RuntimeService/StopContainer");
      return true;
    });
  });

  await t.step("a per-call deadline", async () => {
    const started = performance.now();
    await assert.rejects(
      cri.stopContainer({ containerId: "c1" }, { timeoutMs: 150 }),
      (err) => err instanceof CriError && err.code === GrpcStatus.DEADLINE_EXCEEDED,
    );
    assert.ok(performance.now() - started >= 140, "the per-call deadline replaces the default");
  });

  await t.step("an abort signal", async () => {
    const controller = new AbortController();
    const reason = new Error("pod deleted");
    const call = cri.stopContainer({ containerId: "c1" }, {
      timeoutMs: 10_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(reason), 20);
    await assert.rejects(call, (err) => {
      assert.ok(err instanceof CriError);
      assert.equal(err.codeName, "CANCELLED");
      assert.equal(err.cause, reason);
      return true;
    });
  });

  await t.step("a signal aborted before the call", async () => {
    await assert.rejects(
      cri.stopContainer({ containerId: "c1" }, { signal: AbortSignal.abort() }),
      /CRI RuntimeService\/StopContainer of container "c1" failed: CANCELLED: aborted before it was sent/,
    );
  });
  for (const release of hung) release();
});

Deno.test("CriClient.close() fails later calls and is idempotent", async () => {
  await using runtime = await fakeRuntime({ Version: () => ({ runtimeName: "fake" }) });
  const cri = new CriClient({ endpoint: runtime.endpoint });
  await cri.waitForReady({ timeoutMs: 5_000 });
  assert.equal((await cri.version()).runtimeName, "fake");
  cri.close();
  cri.close();
  await assert.rejects(cri.version(), (err) => {
    assert.ok(err instanceof CriError);
    assert.equal(err.code, GrpcStatus.CANCELLED);
    assert.match(
      err.message,
      /^CRI RuntimeService\/Version failed: CANCELLED: the client of "unix:\/\/.*" is closed$/,
    );
    return true;
  });
});

Deno.test("CriClient reports an absent socket as UNAVAILABLE", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "skiff-cri-test-" });
  try {
    using cri = new CriClient({ endpoint: join(dir, "missing.sock"), timeoutMs: 2_000 });
    await t.step("a call", async () => {
      await assert.rejects(
        cri.version(),
        (err) => err instanceof CriError && err.codeName === "UNAVAILABLE",
      );
    });
    await t.step("waitForReady()", async () => {
      await assert.rejects(cri.waitForReady({ timeoutMs: 100 }), (err) => {
        assert.ok(err instanceof CriError);
        assert.equal(err.codeName, "UNAVAILABLE");
        assert.match(
          err.message,
          /^CRI connect failed: UNAVAILABLE: no connection to ".*missing\.sock" within 100 ms/,
        );
        return true;
      });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CriClient accepts only unix socket endpoints", async (t) => {
  for (
    const endpoint of ["unix:///run/containerd/containerd.sock", "/run/containerd/containerd.sock"]
  ) {
    await t.step(`accepts ${endpoint}`, () => {
      using cri = new CriClient({ endpoint });
      assert.equal(cri.endpoint, endpoint);
    });
  }
  for (const endpoint of ["tcp://127.0.0.1:1234", "unix://relative.sock", "containerd.sock", ""]) {
    await t.step(`rejects ${JSON.stringify(endpoint)}`, () => {
      assert.throws(() => new CriClient({ endpoint }), {
        name: "TypeError",
        message:
          `Cannot use CRI endpoint "${endpoint}": expected "unix:///absolute/path/to/socket"`,
      });
    });
  }
});
