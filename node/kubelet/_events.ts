/**
 * The event sink the pod workers hand to their helpers: events about one container (or the pod),
 * recorded on the pod as the kubelet does.
 *
 * @module
 */
import type { EventType } from "../../control/client/event_recorder.ts";

/** Records one event: type, reason and message. */
export type ContainerEventSink = (type: EventType, reason: string, message: string) => void;
