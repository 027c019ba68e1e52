/**
 * Printers of the `apps` group with upstream's columns and cells: Deployment (READY `2/3`),
 * ReplicaSet, StatefulSet, DaemonSet and ControllerRevision.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { APPS_PRINTERS } from "./apps_printers.ts";
 *
 * const deploy = { metadata: { name: "web" }, spec: { replicas: 3 }, status: { readyReplicas: 2 } };
 * assert.equal(APPS_PRINTERS.get("apps/Deployment")!.row(deploy, 0)[1], "2/3");
 * ```
 *
 * @module
 */
import {
  AGE,
  columns,
  CONTAINERS,
  IMAGES,
  integer,
  NAME,
  selectorColumn,
  text,
} from "./_columns.ts";
import { dig, int, type JsonObject, nameOf, obj, str } from "./_fields.ts";
import {
  age,
  controllerOf,
  formatLabels,
  formatLabelSelector,
  labelSelectorString,
  templateContainers,
} from "./_format.ts";
import type { Printer } from "./table.ts";

const DEPLOYMENT_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Ready", "Ready pods out of the pods wanted."),
    text("Up-to-date", "Pods running the latest pod template."),
    text("Available", "Pods available to serve for at least minReadySeconds."),
    AGE,
    CONTAINERS,
    IMAGES,
    selectorColumn("Labels of the pods the deployment manages."),
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const [names, images] = templateContainers(spec.template);
    return [
      nameOf(o),
      `${int(status.readyReplicas)}/${int(spec.replicas)}`,
      int(status.updatedReplicas),
      int(status.availableReplicas),
      age(o, nowMs),
      names,
      images,
      labelSelectorString(spec.selector) ?? "<invalid>",
    ];
  },
});

const REPLICA_SET_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    integer("Desired", "Pods wanted."),
    integer("Current", "Pods that exist."),
    integer("Ready", "Pods that are ready."),
    AGE,
    CONTAINERS,
    IMAGES,
    selectorColumn("Labels of the pods the replica set manages."),
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const [names, images] = templateContainers(spec.template);
    return [
      nameOf(o),
      int(spec.replicas),
      int(status.replicas),
      int(status.readyReplicas),
      age(o, nowMs),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
});

const STATEFUL_SET_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Ready", "Ready pods out of the pods wanted."),
    AGE,
    CONTAINERS,
    IMAGES,
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    const spec = obj(o.spec);
    const [names, images] = templateContainers(spec.template);
    return [
      nameOf(o),
      `${int(dig(o, "status", "readyReplicas"))}/${int(spec.replicas)}`,
      age(o, nowMs),
      names,
      images,
    ];
  },
});

const DAEMON_SET_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    integer("Desired", "Nodes that should run the daemon pod."),
    integer("Current", "Nodes running at least one daemon pod."),
    integer("Ready", "Nodes whose daemon pod is ready."),
    integer("Up-to-date", "Nodes running the latest daemon pod template."),
    integer("Available", "Nodes whose daemon pod is available."),
    text("Node Selector", "Labels a node needs to run the daemon pod."),
    AGE,
    CONTAINERS,
    IMAGES,
    selectorColumn("Labels of the pods the daemon set manages."),
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const [names, images] = templateContainers(spec.template);
    return [
      nameOf(o),
      int(status.desiredNumberScheduled),
      int(status.currentNumberScheduled),
      int(status.numberReady),
      int(status.updatedNumberScheduled),
      int(status.numberAvailable),
      formatLabels(dig(spec.template, "spec", "nodeSelector")),
      age(o, nowMs),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
});

/** `kind.group/name` of the controller, lower-cased kind and group (`daemonset.apps/fluentd`). */
function controllerName(o: JsonObject): string {
  const ref = controllerOf(o);
  if (ref === undefined) return "<none>";
  const apiVersion = str(ref.apiVersion);
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const kind = str(ref.kind);
  const groupKind = group === "" ? kind : `${kind}.${group}`;
  const name = str(ref.name);
  return kind === "" && group === "" ? name : `${groupKind.toLowerCase()}/${name}`;
}

const CONTROLLER_REVISION_PRINTER: Printer = Object.freeze({
  columns: columns(
    NAME,
    text("Controller", "The workload that owns the revision, as kind.group/name."),
    text("Revision", "The revision number."),
    AGE,
  ),
  row(o: JsonObject, nowMs: number): unknown[] {
    return [nameOf(o), controllerName(o), int(o.revision), age(o, nowMs)];
  },
});

/** Printers of the `apps` group, keyed `apps/<Kind>`. */
export const APPS_PRINTERS: ReadonlyMap<string, Printer> = new Map<string, Printer>([
  ["apps/Deployment", DEPLOYMENT_PRINTER],
  ["apps/ReplicaSet", REPLICA_SET_PRINTER],
  ["apps/StatefulSet", STATEFUL_SET_PRINTER],
  ["apps/DaemonSet", DAEMON_SET_PRINTER],
  ["apps/ControllerRevision", CONTROLLER_REVISION_PRINTER],
]);
