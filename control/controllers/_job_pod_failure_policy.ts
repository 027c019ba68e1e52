/**
 * `spec.podFailurePolicy` of a Job (upstream `pod_failure_policy.go`): the first rule matching a
 * failed pod — by its containers' non-zero exit codes or by its conditions — decides whether the
 * failure fails the whole Job (`FailJob`, with upstream's message), fails only its index
 * (`FailIndex`), is ignored (`Ignore`) or counts towards `backoffLimit` (`Count`, and no match).
 *
 * @module
 */
import type {
  PodFailurePolicy,
  PodFailurePolicyOnExitCodesRequirement,
  PodFailurePolicyOnPodConditionsPattern,
} from "../api/types/batch_v1.ts";
import type { ContainerStatus, Pod, PodCondition } from "../api/types/core_v1_pod.ts";

/** The action of the matched rule. */
export type PodFailurePolicyAction = "FailJob" | "FailIndex" | "Ignore" | "Count";

/** What a failed pod means under a policy. */
export interface PodFailurePolicyMatch {
  /** Set when the Job must fail: the reason's message. */
  readonly failJobMessage?: string;
  /** Whether the failure counts towards `backoffLimit`. */
  readonly countFailed: boolean;
  /** The matched rule's action, if a rule matched. */
  readonly action?: PodFailurePolicyAction;
}

function exitCodeMatches(code: number, req: PodFailurePolicyOnExitCodesRequirement): boolean {
  if (req.operator === "In") return req.values.includes(code);
  if (req.operator === "NotIn") return !req.values.includes(code);
  return false;
}

function matchingContainer(
  statuses: readonly ContainerStatus[] | undefined,
  req: PodFailurePolicyOnExitCodesRequirement,
): ContainerStatus | undefined {
  return (statuses ?? []).find((s) => {
    const terminated = s.state?.terminated;
    if (!terminated) return false;
    if (req.containerName !== undefined && req.containerName !== s.name) return false;
    return terminated.exitCode !== 0 && exitCodeMatches(terminated.exitCode, req);
  });
}

function matchingCondition(
  pod: Pod,
  patterns: readonly PodFailurePolicyOnPodConditionsPattern[],
): PodCondition | undefined {
  for (const condition of pod.status?.conditions ?? []) {
    for (const p of patterns) {
      if (condition.type === p.type && condition.status === (p.status ?? "True")) return condition;
    }
  }
  return undefined;
}

/** How `policy` treats the failed `pod` (upstream `matchPodFailurePolicy`). */
export function matchPodFailurePolicy(
  policy: PodFailurePolicy | undefined,
  pod: Pod,
): PodFailurePolicyMatch {
  if (!policy) return { countFailed: true };
  const where = `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
  for (const [index, rule] of (policy.rules ?? []).entries()) {
    let subject: string | undefined;
    if (rule.onExitCodes) {
      const status = matchingContainer(pod.status?.containerStatuses, rule.onExitCodes) ??
        matchingContainer(pod.status?.initContainerStatuses, rule.onExitCodes);
      if (!status) continue;
      subject = `Container ${status.name} for pod ${where} failed with exit code ${
        status.state!.terminated!.exitCode
      }`;
    } else if (rule.onPodConditions) {
      const condition = matchingCondition(pod, rule.onPodConditions);
      if (!condition) continue;
      subject = `Pod ${where} has condition ${condition.type}`;
    } else {
      continue;
    }
    switch (rule.action) {
      case "Ignore":
        return { countFailed: false, action: "Ignore" };
      case "FailIndex":
        return { countFailed: true, action: "FailIndex" };
      case "Count":
        return { countFailed: true, action: "Count" };
      case "FailJob":
        return {
          failJobMessage: `${subject} matching FailJob rule at index ${index}`,
          countFailed: true,
          action: "FailJob",
        };
    }
  }
  return { countFailed: true };
}
