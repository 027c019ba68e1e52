/**
 * The READY and STATUS columns `kubectl get pods` prints, computed from the same status fields
 * kubectl's pod printer reads. Tests use it to check a generated status shows as kubectl users
 * expect (`Init:0/1`, `PodInitializing`, `CrashLoopBackOff`, `Completed`).
 *
 * @module
 */
import type { Pod } from "../../control/api/types/core_v1_pod.ts";

/** The READY and STATUS columns of a pod. */
export interface KubectlColumns {
  readonly ready: string;
  readonly status: string;
}

/** READY and STATUS of `pod` as `kubectl get pods` shows them. */
export function kubectlColumns(pod: Pod): KubectlColumns {
  const st = pod.status ?? {};
  const inits = pod.spec?.initContainers ?? [];
  const sidecars = new Set(inits.filter((c) => c.restartPolicy === "Always").map((c) => c.name));
  const total = (pod.spec?.containers?.length ?? 0) + sidecars.size;
  let readyCount = 0;
  let reason: string = st.reason || st.phase || "";
  let initializing = false;
  const initStatuses = st.initContainerStatuses ?? [];
  for (const [i, c] of initStatuses.entries()) {
    const t = c.state?.terminated;
    const w = c.state?.waiting;
    if (t !== undefined && t.exitCode === 0) continue;
    if (sidecars.has(c.name) && c.started === true) {
      if (c.ready) readyCount++;
      continue;
    }
    if (t !== undefined) {
      reason = t.reason
        ? `Init:${t.reason}`
        : t.signal
        ? `Init:Signal:${t.signal}`
        : `Init:ExitCode:${t.exitCode}`;
    } else if (w?.reason && w.reason !== "PodInitializing") {
      reason = `Init:${w.reason}`;
    } else {
      reason = `Init:${i}/${inits.length}`;
    }
    initializing = true;
    break;
  }
  const initializedTrue = (st.conditions ?? []).some((c) =>
    c.type === "Initialized" && c.status === "True"
  );
  if (!initializing || initializedTrue) {
    let hasRunning = false;
    const list = st.containerStatuses ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const c = list[i];
      if (c === undefined) continue;
      const t = c.state?.terminated;
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (t?.reason) reason = t.reason;
      else if (t !== undefined) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      else if (c.ready && c.state?.running !== undefined) {
        hasRunning = true;
        readyCount++;
      }
    }
    if (reason === "Completed" && hasRunning) {
      const readyTrue = (st.conditions ?? []).some((c) =>
        c.type === "Ready" && c.status === "True"
      );
      reason = readyTrue ? "Running" : "NotReady";
    }
  }
  if (pod.metadata?.deletionTimestamp && st.phase !== "Succeeded" && st.phase !== "Failed") {
    reason = "Terminating";
  }
  return { ready: `${readyCount}/${total}`, status: reason };
}
