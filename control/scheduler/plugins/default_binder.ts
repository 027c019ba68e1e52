/**
 * DefaultBinder: binds a pod to its node by creating the pod's `binding` subresource (a
 * `Binding` naming the pod by name and UID, targeting the Node), as kube-scheduler does. A failed
 * request is an `Error` status carrying the API's message, so the pod is retried after backoff.
 *
 * @module
 */
import type { Binding, Pod } from "../../api/types/core_v1_pod.ts";
import type { Client } from "../../client/client.ts";
import { PODS } from "../../client/resources.ts";
import type { BindPlugin, FrameworkHandle } from "../framework.ts";
import { errorStatus, type PluginStatus } from "../status.ts";
import { NO_ARGS, parseArgs } from "./_args.ts";

/** The plugin's name. */
export const NAME = "DefaultBinder";

/** The `Binding` that places `pod` on `nodeName` (its UID makes the server refuse a namesake). */
export function bindingFor(pod: Pod, nodeName: string): Binding {
  const meta = pod.metadata ?? {};
  return {
    apiVersion: "v1",
    kind: "Binding",
    metadata: {
      name: meta.name ?? "",
      ...meta.namespace ? { namespace: meta.namespace } : {},
      ...meta.uid ? { uid: meta.uid } : {},
    },
    target: { apiVersion: "v1", kind: "Node", name: nodeName },
  };
}

/** Binds `pod` to `nodeName` through `client`; `null` on success, an `Error` status otherwise. */
export async function bindPod(
  client: Client,
  placement: { readonly pod: Pod; readonly nodeName: string },
): Promise<PluginStatus | null> {
  const { pod, nodeName } = placement;
  try {
    await client.resource(PODS).createSubresource(pod.metadata?.name ?? "", {
      ...pod.metadata?.namespace ? { namespace: pod.metadata.namespace } : {},
      subresource: "binding",
      body: bindingFor(pod, nodeName),
    });
    return null;
  } catch (err) {
    return errorStatus(err);
  }
}

/** The DefaultBinder plugin (takes no args); binds through the handle's client. */
export function newDefaultBinder(args: unknown, handle: FrameworkHandle): BindPlugin {
  parseArgs(NAME, { schema: NO_ARGS, args });
  return {
    name: NAME,
    async bind(_state, pod, nodeName) {
      const client = handle.client?.();
      if (client === undefined) {
        return errorStatus(`Cannot bind pod "${podName(pod)}": the scheduler has no API client`);
      }
      return await bindPod(client, { pod, nodeName });
    },
  };
}

function podName(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}
