/**
 * The Job controller inside the real `skiff server`, driven by the real kubectl 1.33 (no node
 * agent: the test writes the pods' phases as a kubelet would): `kubectl create job`, then
 * `kubectl wait --for=condition=complete` once the pod succeeded, `kubectl get jobs` with the
 * STATUS, COMPLETIONS and DURATION columns, `kubectl describe job` with the controller's events,
 * and a Job that fails past its backoffLimit, waited for with `--for=condition=failed`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { startTestServer } from "../_support/skiff_server.ts";

/** A pod status as a kubelet writes it when the container exited with `exitCode`. */
function exitedStatus(container: string, exitCode: number): unknown {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    status: {
      phase: exitCode === 0 ? "Succeeded" : "Failed",
      conditions: [{ type: "Ready", status: "False", lastTransitionTime: now }],
      containerStatuses: [{
        name: container,
        image: "busybox",
        imageID: "",
        ready: false,
        restartCount: 0,
        state: {
          terminated: {
            exitCode,
            reason: exitCode === 0 ? "Completed" : "Error",
            startedAt: now,
            finishedAt: now,
          },
        },
      }],
    },
  };
}

const FAILING_JOB = {
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name: "oops", namespace: "jobs" },
  spec: {
    backoffLimit: 0,
    template: {
      spec: {
        restartPolicy: "Never",
        containers: [{ name: "oops", image: "busybox", command: ["false"] }],
      },
    },
  },
};

Deno.test("skiff server's Job controller runs what kubectl create job makes", async (t) => {
  await using server = await startTestServer();
  using cluster = e2eCluster(server, { waitMs: 30_000 });
  const { run, ok, json, eventually } = cluster;
  /** The one pod of Job `name`, once the controller created it. */
  async function podOf(name: string): Promise<{ metadata: { name: string } }> {
    let pods: { metadata: { name: string } }[] = [];
    await eventually(`the pod of job ${name}`, async () => {
      pods = (await json(["get", "pods", "-n", "jobs", "-l", `job-name=${name}`])).items;
      return pods.length === 1;
    });
    return pods[0]!;
  }
  async function exitPod(pod: string, container: string, exitCode: number): Promise<void> {
    ok(
      await run([
        "patch",
        "pod",
        pod,
        "-n",
        "jobs",
        "--subresource=status",
        "--type=merge",
        "-p",
        JSON.stringify(exitedStatus(container, exitCode)),
      ]),
      "patch pod status",
    );
  }

  ok(await run(["create", "namespace", "jobs"]), "create namespace");

  await t.step(
    "kubectl create job: one pod with the tracking finalizer and the Job's labels",
    async () => {
      const out = ok(
        await run(["create", "job", "hello", "-n", "jobs", "--image=busybox", "--", "true"]),
        "create job",
      );
      assert.equal(out.trim(), "job.batch/hello created");
      const pod = await podOf("hello");
      const full = await json(["get", "pod", pod.metadata.name, "-n", "jobs"]);
      assert.match(full.metadata.name, /^hello-[a-z0-9]{5}$/);
      assert.deepEqual(full.metadata.finalizers, ["batch.kubernetes.io/job-tracking"]);
      assert.equal(full.metadata.labels["batch.kubernetes.io/job-name"], "hello");
      assert.equal(full.metadata.ownerReferences[0].kind, "Job");
      const listed = ok(await run(["get", "jobs", "-n", "jobs"]), "get jobs");
      const [header, row] = listed.trimEnd().split("\n");
      assert.match(header!, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
      assert.match(row!, /^hello\s+Running\s+0\/1\s+\d+s\s+\d+s$/);
    },
  );

  await t.step("the pod succeeds: kubectl wait --for=condition=complete returns", async () => {
    const pod = await podOf("hello");
    await exitPod(pod.metadata.name, "hello", 0);
    const waited = ok(
      await run(["wait", "--for=condition=complete", "job/hello", "-n", "jobs", "--timeout=60s"]),
      "wait complete",
    );
    assert.equal(waited.trim(), "job.batch/hello condition met");
    const job = await json(["get", "job", "hello", "-n", "jobs"]);
    assert.equal(job.status.succeeded, 1);
    assert.ok(job.status.completionTime);
    assert.deepEqual(
      job.status.conditions.map((c: { type: string; reason: string }) => `${c.type}/${c.reason}`),
      ["SuccessCriteriaMet/CompletionsReached", "Complete/CompletionsReached"],
    );
    const listed = ok(await run(["get", "jobs", "-n", "jobs"]), "get jobs");
    assert.match(listed.trimEnd().split("\n")[1]!, /^hello\s+Complete\s+1\/1\s+\d+s\s+\d+s$/);
    const wide = ok(
      await run(["get", "jobs", "-n", "jobs", "-o", "wide"]),
      "get jobs wide",
    );
    const [wideHeader, wideRow] = wide.trimEnd().split("\n");
    assert.match(
      wideHeader!,
      /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/,
    );
    assert.match(wideRow!, /\shello\s+busybox\s+batch\.kubernetes\.io\/controller-uid=/);
    // The finalizer is gone once the pod is counted.
    const podJson = await json(["get", "pod", pod.metadata.name, "-n", "jobs"]);
    assert.equal(podJson.metadata.finalizers, undefined);
  });

  await t.step("kubectl describe job shows the controller's events", async () => {
    await eventually("the Completed event", async () => {
      const out = ok(await run(["describe", "job", "hello", "-n", "jobs"]), "describe");
      return /Completed\s+\S+\s+job-controller\s+Job completed/.test(out);
    });
    const out = ok(await run(["describe", "job", "hello", "-n", "jobs"]), "describe");
    assert.match(out, /SuccessfulCreate\s+\S+\s+job-controller\s+Created pod: hello-[a-z0-9]{5}/);
    assert.match(out, /Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed/);
  });

  await t.step("a failed pod past backoffLimit fails the Job", async () => {
    ok(await run(["apply", "-f", "-"], JSON.stringify(FAILING_JOB)), "apply job");
    const pod = await podOf("oops");
    await exitPod(pod.metadata.name, "oops", 1);
    const waited = ok(
      await run(["wait", "--for=condition=failed", "job/oops", "-n", "jobs", "--timeout=60s"]),
      "wait failed",
    );
    assert.equal(waited.trim(), "job.batch/oops condition met");
    const listed = ok(await run(["get", "job", "oops", "-n", "jobs"]), "get job");
    assert.match(listed.trimEnd().split("\n")[1]!, /^oops\s+Failed\s+0\/1\s+\d+s\s+\d+s$/);
    const job = await json(["get", "job", "oops", "-n", "jobs"]);
    assert.equal(job.status.failed, 1);
    const failed = job.status.conditions.find((c: { type: string }) => c.type === "Failed");
    assert.equal(failed.reason, "BackoffLimitExceeded");
    assert.equal(failed.message, "Job has reached the specified backoff limit");
  });
});
