/**
 * CronJob test fixtures: a CronJob manifest with a busybox Job template, and
 * {@linkcode finishJob}, which writes a Job's status as the Job controller would when it
 * completes or fails (tests of the CronJob controller run without one).
 *
 * @module
 */
import type { CronJob, CronJobSpec, Job, JobCondition } from "../../control/api/types/batch_v1.ts";
import type { Client } from "../../control/client/client.ts";
import { JOBS } from "../../control/client/resources.ts";

/** What {@linkcode cronJobManifest} makes. */
export interface TestCronJob {
  readonly name: string;
  /** @default {"default"} */
  readonly namespace?: string;
  /** @default {"* * * * *"} */
  readonly schedule?: string;
  /** More spec fields (concurrencyPolicy, startingDeadlineSeconds, history limits, …). */
  readonly spec?: Partial<CronJobSpec>;
  /** Labels of the job template. */
  readonly jobLabels?: Readonly<Record<string, string>>;
  /** Annotations of the job template. */
  readonly jobAnnotations?: Readonly<Record<string, string>>;
}

/** A `batch/v1` CronJob whose Jobs run one busybox container. */
export function cronJobManifest(options: TestCronJob): CronJob {
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: options.name, namespace: options.namespace ?? "default" },
    spec: {
      schedule: options.schedule ?? "* * * * *",
      jobTemplate: {
        metadata: {
          ...(options.jobLabels ? { labels: { ...options.jobLabels } } : {}),
          ...(options.jobAnnotations ? { annotations: { ...options.jobAnnotations } } : {}),
        },
        spec: {
          template: {
            spec: {
              containers: [{ name: "main", image: "busybox", command: ["true"] }],
              restartPolicy: "OnFailure",
            },
          },
        },
      },
      ...options.spec,
    },
  };
}

/** What {@linkcode finishJob} writes. */
export interface FinishJob {
  readonly namespace?: string;
  readonly name: string;
  readonly outcome: "Complete" | "Failed";
  /** RFC 3339. */
  readonly startTime: string;
  /** RFC 3339; the completion time of a `Complete` Job, the failure time of a `Failed` one. */
  readonly finishTime: string;
}

/** Marks a Job complete or failed through its status subresource, as the Job controller does. */
export async function finishJob(client: Client, finish: FinishJob): Promise<Job> {
  const jobs = client.resource(JOBS);
  const job = await jobs.get(finish.name, { namespace: finish.namespace ?? "default" });
  const at = finish.finishTime;
  const condition = (type: string, reason: string): JobCondition => ({
    type,
    status: "True",
    lastProbeTime: at,
    lastTransitionTime: at,
    reason,
    message: "",
  });
  job.status = finish.outcome === "Complete"
    ? {
      conditions: [
        condition("SuccessCriteriaMet", "CompletionsReached"),
        condition("Complete", "CompletionsReached"),
      ],
      startTime: finish.startTime,
      completionTime: at,
      succeeded: 1,
      ready: 0,
      terminating: 0,
    }
    : {
      conditions: [
        condition("FailureTarget", "BackoffLimitExceeded"),
        condition("Failed", "BackoffLimitExceeded"),
      ],
      startTime: finish.startTime,
      failed: 1,
      ready: 0,
      terminating: 0,
    };
  return await jobs.updateStatus(job);
}
