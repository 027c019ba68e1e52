import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import {
  containerLogStatusError,
  LogQueryError,
  parseKubeletLogOptions,
  podHasContainer,
  podLogOptionsProblems,
} from "./container_logs.ts";

Deno.test("parseKubeletLogOptions() decodes the query as the kubelet's parameter codec", async (t) => {
  const cases: [string, Record<string, unknown>][] = [
    ["", { follow: false, previous: false, timestamps: false }],
    ["follow=true&previous=1&timestamps=TRUE", { follow: true, previous: true, timestamps: true }],
    ["follow=false&previous=0&timestamps=", { follow: false, previous: false, timestamps: true }],
    ["tailLines=5&limitBytes=100&sinceSeconds=60", {
      follow: false,
      previous: false,
      timestamps: false,
      tailLines: 5,
      limitBytes: 100,
      sinceSeconds: 60,
    }],
    ["sinceTime=2026-12-01T10:00:00Z", {
      follow: false,
      previous: false,
      timestamps: false,
      sinceTime: "2026-12-01T10:00:00Z",
    }],
    ["tail=3", { follow: false, previous: false, timestamps: false, tailLines: 3 }],
    ["tailLines=3&tail=all", { follow: false, previous: false, timestamps: false }],
    ["stream=Stderr", { follow: false, previous: false, timestamps: false, stream: "Stderr" }],
  ];
  for (const [query, want] of cases) {
    await t.step(query || "(empty)", () => {
      assert.deepEqual(parseKubeletLogOptions(new URLSearchParams(query)), want);
    });
  }
});

Deno.test("parseKubeletLogOptions() throws LogQueryError for values that do not parse", async (t) => {
  const cases: [string, string][] = [
    ["tailLines=abc", 'strconv.ParseInt: parsing "abc": invalid syntax'],
    ["limitBytes=1.5", 'strconv.ParseInt: parsing "1.5": invalid syntax'],
    ["sinceTime=yesterday", 'parsing time "yesterday"'],
  ];
  for (const [query, message] of cases) {
    await t.step(query, () => {
      assert.throws(() => parseKubeletLogOptions(new URLSearchParams(query)), (err) => {
        assert.ok(err instanceof LogQueryError);
        assert.ok(err.message.startsWith(message), err.message);
        return true;
      });
    });
  }
});

Deno.test("podLogOptionsProblems() applies ValidatePodLogOptions' rules", async (t) => {
  const base = { follow: false, previous: false, timestamps: false };
  const cases: [string, Record<string, unknown>, string[]][] = [
    ["valid", { tailLines: 0, limitBytes: 1, sinceSeconds: 1 }, []],
    ["negative tail", { tailLines: -1 }, ["tailLines: must be greater than or equal to 0"]],
    ["zero limit", { limitBytes: 0 }, ["limitBytes: must be greater than 0"]],
    ["zero since", { sinceSeconds: 0 }, ["sinceSeconds: must be greater than 0"]],
    ["both sinces", { sinceSeconds: 5, sinceTime: "2026-12-01T10:00:00Z" }, [
      "at most one of `sinceTime` or `sinceSeconds` may be specified",
    ]],
    ["bad stream", { stream: "Both" }, ["stream: Unsupported value"]],
    ["stream with tail", { stream: "Stdout", tailLines: 2 }, [
      "`tailLines` and specific `stream` are mutually exclusive for now",
    ]],
    ["All with tail", { stream: "All", tailLines: 2 }, []],
  ];
  for (const [name, extra, want] of cases) {
    await t.step(name, () => assert.deepEqual(podLogOptionsProblems({ ...base, ...extra }), want));
  }
});

function pod(status: Pod["status"]): Pod {
  return {
    metadata: { name: "web", namespace: "default" },
    spec: {
      containers: [{ name: "app", image: "busybox" }],
      initContainers: [{ name: "init", image: "busybox" }],
    },
    status,
  } as Pod;
}

Deno.test("podHasContainer() finds regular and init containers", () => {
  const p = pod({});
  assert.equal(podHasContainer(p, "app"), true);
  assert.equal(podHasContainer(p, "init"), true);
  assert.equal(podHasContainer(p, "nope"), false);
});

Deno.test("containerLogStatusError() words the container's state as the kubelet", async (t) => {
  const status = (state: object, lastState: object = {}) => ({
    containerStatuses: [{
      name: "app",
      image: "busybox",
      imageID: "",
      ready: false,
      restartCount: 0,
      state,
      lastState,
    }],
  });
  const cases: [string, Pod["status"], boolean, string][] = [
    ["no status", {}, false, 'container "app" in pod "web" is not available'],
    [
      "creating",
      status({ waiting: { reason: "ContainerCreating" } }),
      false,
      'container "app" in pod "web" is waiting to start: ContainerCreating',
    ],
    [
      "pull error",
      status({ waiting: { reason: "ErrImagePull" } }),
      false,
      `container "app" in pod "web" is waiting to start: image can't be pulled`,
    ],
    [
      "pull backoff",
      status({ waiting: { reason: "ImagePullBackOff" } }),
      false,
      'container "app" in pod "web" is waiting to start: trying and failing to pull image',
    ],
    [
      "no previous",
      status({ running: {} }),
      true,
      'previous terminated container "app" in pod "web" not found',
    ],
    [
      "terminated",
      status({ terminated: { exitCode: 0 } }),
      false,
      'container "app" in pod "web" is terminated',
    ],
    [
      "no state",
      status({}),
      false,
      'container "app" in pod "web" is waiting to start - no logs yet',
    ],
  ];
  for (const [name, s, previous, want] of cases) {
    await t.step(name, () => {
      assert.equal(containerLogStatusError(pod(s), { container: "app", previous }), want);
    });
  }
});
