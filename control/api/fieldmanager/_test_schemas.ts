/**
 * A small kind for the field manager's tests, with one field of each relationship: granular and
 * atomic structs and maps, sets, keyed lists (with a defaulted key), atomic lists, lists that
 * take their keys from patch tags, and untyped content.
 *
 * @module
 */
import {
  any,
  array,
  boolean,
  field,
  int32,
  map,
  object,
  type ObjectSchema,
  requiredField,
  string,
} from "../types/schema.ts";
import { ObjectMeta } from "../types/meta_v1.ts";

const Port = object("test.Port", {
  description: "A port.",
  fields: {
    port: requiredField(int32(), { description: "Number." }),
    protocol: field(string(), { description: "Protocol.", default: "TCP" }),
    name: field(string(), { description: "Name." }),
  },
});

const Item = object("test.Item", {
  description: "An item.",
  fields: {
    name: requiredField(string(), { description: "Name." }),
    value: field(string(), { description: "Value." }),
    ports: field(array(Port, { listType: "map", listMapKeys: ["port", "protocol"] }), {
      description: "Ports.",
    }),
  },
});

const Selector = object("test.Selector", {
  description: "An atomic struct.",
  mapType: "atomic",
  fields: { match: field(map(string()), { description: "Labels." }) },
});

const Spec = object("test.Spec", {
  description: "The spec.",
  fields: {
    replicas: field(int32(), { description: "Count." }),
    paused: field(boolean(), { description: "Paused." }),
    selector: field(Selector, { description: "Selector." }),
    labels: field(map(string()), { description: "Granular map." }),
    flags: field(map(string(), { mapType: "atomic" }), { description: "Atomic map." }),
    nested: field(map(map(string())), { description: "Map of maps." }),
    tags: field(array(string(), { listType: "set" }), { description: "Set." }),
    args: field(array(string(), { listType: "atomic" }), { description: "Atomic list." }),
    items: field(array(Item, { listType: "map", listMapKeys: ["name"] }), {
      description: "Keyed list.",
    }),
    merged: field(array(Item), {
      description: "Keyed by patch tags.",
      patchStrategy: "merge",
      patchMergeKey: "name",
    }),
    finalizers: field(array(string()), {
      description: "Set by patch tags.",
      patchStrategy: "merge",
    }),
    plain: field(array(Item), { description: "No tags: atomic." }),
    raw: field(any(), { description: "Untyped." }),
  },
});

/** The test kind. */
export const Widget: ObjectSchema = object("test.Widget", {
  description: "A test kind.",
  gvk: [{ group: "example.com", version: "v1", kind: "Widget" }],
  fields: {
    apiVersion: field(string(), { description: "Version." }),
    kind: field(string(), { description: "Kind." }),
    metadata: field(ObjectMeta, { description: "Metadata." }),
    spec: field(Spec, { description: "Spec." }),
    status: field(
      object("test.WidgetStatus", {
        description: "Status.",
        fields: { ready: field(int32(), { description: "Ready." }) },
      }),
      { description: "Status." },
    ),
  },
});

/** A kind keeping unknown fields (as a CRD with x-kubernetes-preserve-unknown-fields). */
export const OpenWidget: ObjectSchema = object("test.OpenWidget", {
  description: "A kind keeping unknown fields.",
  preserveUnknownFields: true,
  fields: {
    apiVersion: field(string(), { description: "Version." }),
    kind: field(string(), { description: "Kind." }),
    metadata: field(ObjectMeta, { description: "Metadata." }),
  },
});
