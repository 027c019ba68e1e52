/**
 * CronJobs through the real kubectl 1.33 against the real `skiff server`: `kubectl create
 * cronjob`, `kubectl get cronjobs` with 1.33's columns, `kubectl create job --from=cronjob/…`
 * (which the controller reports as a Job it did not start), and a CronJob whose run is overdue
 * (its last schedule set back, within `startingDeadlineSeconds`) getting its Job at once,
 * named for the scheduled minute — without waiting for a real minute to pass.
 *
 * @module
 */
import assert from "node:assert/strict";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { startTestServer } from "../_support/skiff_server.ts";

const MINUTE = 60_000;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

interface JobJson {
  metadata: {
    name: string;
    uid: string;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
}

Deno.test("kubectl 1.33 creates and lists CronJobs, and skiff server's controller runs them", async (t) => {
  await using server = await startTestServer();
  using cluster = e2eCluster(server, { waitMs: 15_000 });
  const { run, ok, json, eventually } = cluster;

  await t.step("kubectl create cronjob", async () => {
    const out = ok(
      await run(["create", "cronjob", "x", "--image=busybox", "--schedule=*/1 * * * *"]),
      "create cronjob",
    );
    assert.equal(out.trim(), "cronjob.batch/x created");
    const cj = await json(["get", "cronjob", "x"]);
    assert.equal(cj.spec.concurrencyPolicy, "Allow");
    assert.equal(cj.spec.jobTemplate.spec.template.spec.restartPolicy, "OnFailure");
  });

  await t.step("kubectl get cronjobs prints 1.33's columns", async () => {
    const lines = ok(await run(["get", "cronjobs"]), "get cronjobs").trimEnd().split("\n");
    assert.match(
      lines[0]!,
      /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/,
    );
    assert.match(lines[1]!, /^x\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\d+s$/);
    const wide = ok(await run(["get", "cronjobs", "-o", "wide"]), "get -o wide");
    assert.match(wide.split("\n")[0]!, /AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
    assert.match(wide.split("\n")[1]!, /\s+x\s+busybox\s+<none>$/);
  });

  await t.step("kubectl create job --from=cronjob/x", async () => {
    const cj = await json(["get", "cronjob", "x"]);
    const out = ok(
      await run(["create", "job", "--from=cronjob/x", "manual"]),
      "create job",
    );
    assert.equal(out.trim(), "job.batch/manual created");
    const job: JobJson = await json(["get", "job", "manual"]);
    assert.equal(job.metadata.annotations?.["cronjob.kubernetes.io/instantiate"], "manual");
    assert.deepEqual(
      job.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]),
      [["CronJob", "x", cj.metadata.uid, true]],
    );
    // The controller did not start it, and says so.
    await eventually("the UnexpectedJob event", async () => {
      const events = await json(["get", "events", "--field-selector", "involvedObject.name=x"]);
      return events.items.some((e: { reason: string; message: string; type: string }) =>
        e.reason === "UnexpectedJob" && e.type === "Warning" &&
        e.message === "Saw a job that the controller did not create or forgot: manual"
      );
    });
  });

  await t.step(
    "an overdue CronJob within startingDeadlineSeconds gets its Job at once",
    async () => {
      const manifest = {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: { name: "nightly", namespace: "default" },
        spec: {
          schedule: "*/1 * * * *",
          startingDeadlineSeconds: 300,
          jobTemplate: {
            metadata: { labels: { app: "nightly" } },
            spec: {
              template: {
                spec: {
                  restartPolicy: "Never",
                  containers: [{ name: "main", image: "busybox", command: ["true"] }],
                },
              },
            },
          },
        },
      };
      ok(await run(["apply", "-f", "-"], JSON.stringify(manifest)), "apply cronjob");
      // As if the controller had been down since a run three minutes ago: the most recent
      // activation since then (this minute's, at most a minute old) is due.
      const lastMinute = Math.floor(Date.now() / MINUTE) * MINUTE;
      const status = { status: { lastScheduleTime: iso(lastMinute - 3 * MINUTE) } };
      ok(
        await run([
          "patch",
          "cronjob",
          "nightly",
          "--subresource=status",
          "--type=merge",
          "-p",
          JSON.stringify(status),
        ]),
        "patch cronjob status",
      );
      let job: JobJson | undefined;
      await eventually("the overdue run's Job", async () => {
        const jobs = await json(["get", "jobs", "-l", "app=nightly"]);
        job = jobs.items[0];
        return job !== undefined;
      });
      // This minute's run (or the next one's, had a minute passed meanwhile).
      const minute = Number(job!.metadata.name.replace(/^nightly-/, ""));
      assert.ok(
        minute === lastMinute / MINUTE || minute === lastMinute / MINUTE + 1,
        `${job!.metadata.name} is not for the minute ${lastMinute / MINUTE}`,
      );
      assert.equal(
        job!.metadata.annotations?.["batch.kubernetes.io/cronjob-scheduled-timestamp"],
        iso(minute * MINUTE),
      );
      await eventually("the CronJob's status", async () => {
        const cj = await json(["get", "cronjob", "nightly"]);
        return cj.status?.active?.[0]?.name === job!.metadata.name &&
          cj.status?.lastScheduleTime === iso(minute * MINUTE);
      });
      const row = ok(await run(["get", "cronjob", "nightly", "--no-headers"]), "get");
      assert.match(row, /^nightly\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+1\s+\d+s\s+\d+s\n$/);
      const events = ok(
        await run(["get", "events", "--field-selector", "involvedObject.name=nightly"]),
        "get events",
      );
      assert.match(
        events,
        new RegExp(`SuccessfulCreate\\s+cronjob/nightly\\s+Created job ${job!.metadata.name}`),
      );
    },
  );
});
