/**
 * The `apiextensions.k8s.io/v1` CustomResourceDefinition kind: a resource the server serves
 * from a definition (group, names, scope, versions with their OpenAPI v3 schemas, printer
 * columns and subresources) instead of from compiled-in code, and `JSONSchemaProps`, the
 * JSON-Schema subset those schemas are written in. Field numbers from upstream
 * `k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1/generated.proto`.
 *
 * `JSONSchemaProps` refers to itself; its members that are "a schema or something else"
 * (`items`: a schema or a list of them; `additionalProperties` and `additionalItems`: a schema or
 * a boolean; `dependencies`: a schema or a list of names) and its JSON values (`default`,
 * `enum`, `example`) are kept as sent: the CRD validation reads them.
 *
 * @module
 */
import { objectFields } from "./meta_v1.ts";
import {
  any,
  array,
  boolean,
  bytes,
  double,
  field,
  type Infer,
  int32,
  int64,
  lazy,
  map,
  object,
  type ObjectSchema,
  requiredField,
  string,
  time,
} from "./schema.ts";

const APIEXT = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1";

/** The group of CustomResourceDefinitions. */
export const APIEXTENSIONS_GROUP = "apiextensions.k8s.io";

/** The finalizer that keeps a deleted CRD until all its custom resources are gone. */
export const CUSTOM_RESOURCE_CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io";

/** One CEL validation rule (`x-kubernetes-validations` item). */
export const ValidationRule = object(`${APIEXT}.ValidationRule`, {
  description:
    "A CEL expression that must be true for the value it sits on; `self` is that value and, in transition rules, `oldSelf` the value before the update.",
  fields: {
    rule: requiredField(string(), {
      description: "The CEL expression; it must evaluate to a boolean.",
      proto: 1,
    }),
    message: field(string(), {
      description:
        'The error message when the rule is false; without it the message is "failed rule: <rule>".',
      proto: 2,
    }),
    messageExpression: field(string(), {
      description: "A CEL expression computing the error message (a string); wins over message.",
      proto: 3,
    }),
    reason: field(string(), {
      description:
        "The cause reported when the rule fails: FieldValueInvalid (default), FieldValueForbidden, FieldValueRequired or FieldValueDuplicate.",
      proto: 4,
    }),
    fieldPath: field(string(), {
      description:
        "Where the error is reported, relative to the value the rule sits on (e.g. `.spec.replicas`).",
      proto: 5,
    }),
    optionalOldSelf: field(boolean(), {
      description:
        "Run the transition rule also on create and when the old value is absent; oldSelf is then an optional.",
      proto: 6,
    }),
  },
});

/** Documentation elsewhere. */
export const ExternalDocumentation = object(`${APIEXT}.ExternalDocumentation`, {
  description: "A link to more documentation.",
  fields: {
    description: field(string(), { description: "What the link documents.", proto: 1 }),
    url: field(string(), { description: "The URL.", proto: 2 }),
  },
});

const SchemaRef = lazy(`${APIEXT}.JSONSchemaProps`, () => JSONSchemaProps);

const MAY_BE_SCHEMA =
  "A JSONSchemaProps, or (for additionalProperties and additionalItems) a boolean, or (for items) a list of JSONSchemaProps.";

/**
 * A JSON-Schema (draft 4 subset, with Kubernetes' extensions) of a custom resource. Its
 * TypeScript type is the hand-written {@linkcode JSONSchemaProps} interface (the inferred one
 * would recurse without end).
 */
export const JSONSchemaProps: ObjectSchema<Record<never, never>> = object(
  `${APIEXT}.JSONSchemaProps`,
  {
    description:
      "A JSON-Schema (draft 4 subset) describing, validating, pruning and defaulting a custom resource's values.",
    fields: {
      id: field(string(), { description: "Unused identifier.", proto: 1 }),
      $schema: field(string(), { description: "Unused schema URL.", proto: 2 }),
      $ref: field(string(), { description: "Not supported in CRD schemas.", proto: 3 }),
      description: field(string(), {
        description: "What the value is; kubectl explain prints it.",
        proto: 4,
      }),
      type: field(string(), {
        description: "object, array, string, integer, number or boolean.",
        proto: 5,
      }),
      format: field(string(), {
        description:
          "An OpenAPI format the value must have (int32, int64, date-time, date, byte, uuid, hostname, ipv4, …); unknown formats are ignored.",
        proto: 6,
      }),
      title: field(string(), { description: "A short title.", proto: 7 }),
      default: field(any(), {
        description: "The value set when the field is absent (pruned and validated like data).",
        proto: 8,
      }),
      maximum: field(double(), { description: "Largest allowed number.", proto: 9 }),
      exclusiveMaximum: field(boolean(), {
        description: "The maximum itself is not allowed.",
        proto: 10,
      }),
      minimum: field(double(), { description: "Smallest allowed number.", proto: 11 }),
      exclusiveMinimum: field(boolean(), {
        description: "The minimum itself is not allowed.",
        proto: 12,
      }),
      maxLength: field(int64(), { description: "Longest allowed string.", proto: 13 }),
      minLength: field(int64(), { description: "Shortest allowed string.", proto: 14 }),
      pattern: field(string(), {
        description: "A regular expression strings must match.",
        proto: 15,
      }),
      maxItems: field(int64(), { description: "Most items an array may have.", proto: 16 }),
      minItems: field(int64(), { description: "Fewest items an array may have.", proto: 17 }),
      uniqueItems: field(boolean(), {
        description: "Not supported in CRD schemas (quadratic cost).",
        proto: 18,
      }),
      multipleOf: field(double(), {
        description: "Numbers must be a multiple of this.",
        proto: 19,
      }),
      enum: field(array(any()), { description: "The allowed values.", proto: 20 }),
      maxProperties: field(int64(), {
        description: "Most properties an object may have.",
        proto: 21,
      }),
      minProperties: field(int64(), {
        description: "Fewest properties an object may have.",
        proto: 22,
      }),
      required: field(array(string()), {
        description: "Properties that must be present.",
        proto: 23,
      }),
      items: field(any(), {
        description: `The schema of array items. ${MAY_BE_SCHEMA}`,
        proto: 24,
      }),
      allOf: field(array(SchemaRef), {
        description: "Value validations that must all pass.",
        proto: 25,
      }),
      oneOf: field(array(SchemaRef), {
        description: "Value validations exactly one of which must pass.",
        proto: 26,
      }),
      anyOf: field(array(SchemaRef), {
        description: "Value validations at least one of which must pass.",
        proto: 27,
      }),
      not: field(SchemaRef, { description: "A value validation that must fail.", proto: 28 }),
      properties: field(map(SchemaRef), {
        description: "The schemas of an object's known properties.",
        proto: 29,
      }),
      additionalProperties: field(any(), {
        description: `The schema of a map's values. ${MAY_BE_SCHEMA}`,
        proto: 30,
      }),
      patternProperties: field(map(SchemaRef), {
        description: "Not supported in CRD schemas.",
        proto: 31,
      }),
      dependencies: field(map(any()), {
        description: "Not supported in CRD schemas.",
        proto: 32,
      }),
      additionalItems: field(any(), {
        description: `Not supported in CRD schemas. ${MAY_BE_SCHEMA}`,
        proto: 33,
      }),
      definitions: field(map(SchemaRef), {
        description: "Not supported in CRD schemas.",
        proto: 34,
      }),
      externalDocs: field(ExternalDocumentation, { description: "More documentation.", proto: 35 }),
      example: field(any(), { description: "An example value.", proto: 36 }),
      nullable: field(boolean(), { description: "null is an allowed value.", proto: 37 }),
      "x-kubernetes-preserve-unknown-fields": field(boolean(), {
        description:
          "Keep fields the schema does not declare instead of pruning them (true or absent).",
        proto: 38,
        keepZero: true,
      }),
      "x-kubernetes-embedded-resource": field(boolean(), {
        description:
          "The value is an embedded object with apiVersion, kind and metadata, which are validated.",
        proto: 39,
      }),
      "x-kubernetes-int-or-string": field(boolean(), {
        description: "The value is an integer or a string.",
        proto: 40,
      }),
      "x-kubernetes-list-map-keys": field(array(string()), {
        description: "With list type map: the item fields that identify an item.",
        proto: 41,
      }),
      "x-kubernetes-list-type": field(string(), {
        description: "How server-side apply merges the array: atomic, set or map.",
        proto: 42,
      }),
      "x-kubernetes-map-type": field(string(), {
        description: "How server-side apply merges the object: granular or atomic.",
        proto: 43,
      }),
      "x-kubernetes-validations": field(
        array(ValidationRule, { listType: "map", listMapKeys: ["rule"] }),
        {
          description: "CEL validation rules of the value.",
          proto: 44,
          patchStrategy: "merge",
          patchMergeKey: "rule",
        },
      ),
    },
  },
) as unknown as ObjectSchema<Record<never, never>>;

/** The schema of one version. */
export const CustomResourceValidation = object(`${APIEXT}.CustomResourceValidation`, {
  description: "The schema of one version of a custom resource.",
  fields: {
    openAPIV3Schema: field(JSONSchemaProps, {
      description: "The OpenAPI v3 schema that validates, prunes and defaults the resource.",
      proto: 1,
    }),
  },
});

/** A printer column. */
export const CustomResourceColumnDefinition = object(`${APIEXT}.CustomResourceColumnDefinition`, {
  description: "A column of the resource's table output (kubectl get).",
  fields: {
    name: requiredField(string(), { description: "The column header.", proto: 1 }),
    type: requiredField(string(), {
      description: "The OpenAPI type of the cells: integer, number, string, boolean or date.",
      proto: 2,
    }),
    format: field(string(), { description: "An OpenAPI format of the cells.", proto: 3 }),
    description: field(string(), { description: "What the column shows.", proto: 4 }),
    priority: field(int32(), {
      description: "0 for columns always shown, more for those only -o wide shows.",
      proto: 5,
    }),
    jsonPath: requiredField(string(), {
      description: "A simple JSON path (e.g. `.spec.replicas`) evaluated on each object.",
      proto: 6,
    }),
  },
});

/** The scale subresource of a custom resource. */
export const CustomResourceSubresourceScale = object(`${APIEXT}.CustomResourceSubresourceScale`, {
  description: "Where the autoscaling/v1 Scale of a custom resource reads and writes.",
  fields: {
    specReplicasPath: requiredField(string(), {
      description: "JSON path under .spec of the desired replicas (Scale spec.replicas).",
      proto: 1,
    }),
    statusReplicasPath: requiredField(string(), {
      description: "JSON path under .status of the observed replicas (Scale status.replicas).",
      proto: 2,
    }),
    labelSelectorPath: field(string(), {
      description:
        "JSON path under .spec or .status of a label selector string (Scale status.selector).",
      proto: 3,
    }),
  },
});

/** The status subresource of a custom resource (no settings). */
export const CustomResourceSubresourceStatus = object(
  `${APIEXT}.CustomResourceSubresourceStatus`,
  {
    description:
      "Serve /status: main-resource writes ignore .status and status writes ignore everything else.",
    fields: {},
  },
);

/** The subresources of a version. */
export const CustomResourceSubresources = object(`${APIEXT}.CustomResourceSubresources`, {
  description: "The status and scale subresources of a version.",
  fields: {
    status: field(CustomResourceSubresourceStatus, {
      description: "Serve the status subresource.",
      proto: 1,
    }),
    scale: field(CustomResourceSubresourceScale, {
      description: "Serve the scale subresource.",
      proto: 2,
    }),
  },
});

/** A field usable in field selectors. */
export const SelectableField = object(`${APIEXT}.SelectableField`, {
  description: "A field of the resource that field selectors may use.",
  fields: {
    jsonPath: requiredField(string(), {
      description: "A simple JSON path of a string, integer or boolean field.",
      proto: 1,
    }),
  },
});

/** One version of a custom resource. */
export const CustomResourceDefinitionVersion = object(
  `${APIEXT}.CustomResourceDefinitionVersion`,
  {
    description: "One version of the custom resource: its schema, subresources and columns.",
    fields: {
      name: requiredField(string(), {
        description: "The version name (v1, v2beta1…), served under /apis/<group>/<name>.",
        proto: 1,
      }),
      served: requiredField(boolean(), {
        description: "Serve this version through the REST API.",
        proto: 2,
        zeroValid: true,
      }),
      storage: requiredField(boolean(), {
        description: "Store objects in this version; exactly one version has it.",
        proto: 3,
        zeroValid: true,
      }),
      deprecated: field(boolean(), {
        description: "Requests to this version get a deprecation warning.",
        proto: 7,
      }),
      deprecationWarning: field(string(), {
        description: "The warning deprecated versions send instead of the default one.",
        proto: 8,
      }),
      schema: field(CustomResourceValidation, {
        description: "The schema of this version.",
        proto: 4,
      }),
      subresources: field(CustomResourceSubresources, {
        description: "The subresources this version serves.",
        proto: 5,
      }),
      additionalPrinterColumns: field(
        array(CustomResourceColumnDefinition, { listType: "atomic" }),
        {
          description:
            "Columns of the table output; without any, a single Age column follows the name.",
          proto: 6,
        },
      ),
      selectableFields: field(array(SelectableField, { listType: "atomic" }), {
        description: "Fields field selectors may use, beyond metadata.name and metadata.namespace.",
        proto: 9,
      }),
    },
  },
);

/** The names of a custom resource. */
export const CustomResourceDefinitionNames = object(`${APIEXT}.CustomResourceDefinitionNames`, {
  description: "The names a custom resource is served under.",
  fields: {
    plural: requiredField(string(), {
      description: "The plural resource name, lower case, in URLs (/apis/<group>/<v>/<plural>).",
      proto: 1,
      zeroValid: true,
    }),
    singular: field(string(), {
      description: "The singular name, lower case; defaults to the lower-cased kind.",
      proto: 2,
    }),
    shortNames: field(array(string(), { listType: "atomic" }), {
      description: "Short names for kubectl (kubectl get <shortname>), lower case.",
      proto: 3,
    }),
    kind: requiredField(string(), {
      description: "The kind of the objects, CamelCase and singular.",
      proto: 4,
      zeroValid: true,
    }),
    listKind: field(string(), {
      description: 'The kind of lists; defaults to "<kind>List".',
      proto: 5,
    }),
    categories: field(array(string(), { listType: "atomic" }), {
      description: "Groups of resources it belongs to (kubectl get all for 'all').",
      proto: 6,
    }),
  },
});

/** A Service a webhook is reached through. */
export const ServiceReference = object(`${APIEXT}.ServiceReference`, {
  description: "A Service a webhook is reached through.",
  fields: {
    namespace: requiredField(string(), { description: "The Service's namespace.", proto: 1 }),
    name: requiredField(string(), { description: "The Service's name.", proto: 2 }),
    path: field(string(), { description: "The URL path of the webhook.", proto: 3 }),
    port: field(int32(), { description: "The Service port; defaults to 443.", proto: 4 }),
  },
});

/** How a webhook is called. */
export const WebhookClientConfig = object(`${APIEXT}.WebhookClientConfig`, {
  description: "How to reach a webhook: a URL or a Service, and the CA to trust.",
  fields: {
    url: field(string(), { description: "The webhook's HTTPS URL.", proto: 3 }),
    service: field(ServiceReference, {
      description: "The Service the webhook runs behind.",
      proto: 1,
    }),
    caBundle: field(bytes(), {
      description: "PEM CA certificates to verify the webhook's serving certificate.",
      proto: 2,
    }),
  },
});

/** A conversion webhook. */
export const WebhookConversion = object(`${APIEXT}.WebhookConversion`, {
  description: "A conversion webhook.",
  fields: {
    clientConfig: field(WebhookClientConfig, {
      description: "How to call the webhook.",
      proto: 2,
    }),
    conversionReviewVersions: requiredField(array(string(), { listType: "atomic" }), {
      description: "The ConversionReview versions the webhook understands, preferred first.",
      proto: 3,
    }),
  },
});

/** How versions are converted. */
export const CustomResourceConversion = object(`${APIEXT}.CustomResourceConversion`, {
  description: "How objects are converted between versions.",
  fields: {
    strategy: requiredField(string(), {
      description:
        "None (only apiVersion changes) or Webhook (an external webhook converts; skiff refuses it).",
      proto: 1,
    }),
    webhook: field(WebhookConversion, {
      description: "The conversion webhook, with strategy Webhook.",
      proto: 2,
    }),
  },
});

/** The desired state of a CRD. */
export const CustomResourceDefinitionSpec = object(`${APIEXT}.CustomResourceDefinitionSpec`, {
  description: "How the custom resource is served.",
  fields: {
    group: requiredField(string(), {
      description: "The API group of the custom resource (a domain with at least one dot).",
      proto: 1,
    }),
    names: requiredField(CustomResourceDefinitionNames, {
      description: "The resource and kind names.",
      proto: 3,
    }),
    scope: requiredField(string(), { description: "Cluster or Namespaced.", proto: 4 }),
    versions: requiredField(array(CustomResourceDefinitionVersion, { listType: "atomic" }), {
      description: "Every version of the custom resource, exactly one of them the storage one.",
      proto: 7,
    }),
    conversion: field(CustomResourceConversion, {
      description: "How objects are converted between versions.",
      proto: 9,
    }),
    preserveUnknownFields: field(boolean(), {
      description:
        "Deprecated: must be false; use x-kubernetes-preserve-unknown-fields in the schemas.",
      proto: 10,
    }),
  },
});

/** One condition of a CRD. */
export const CustomResourceDefinitionCondition = object(
  `${APIEXT}.CustomResourceDefinitionCondition`,
  {
    description: "One aspect of a CRD's state: NamesAccepted, Established or Terminating.",
    fields: {
      type: requiredField(string(), {
        description: "NamesAccepted, Established or Terminating.",
        proto: 1,
      }),
      status: requiredField(string(), { description: "True, False or Unknown.", proto: 2 }),
      lastTransitionTime: field(time(), {
        description: "When the status last changed.",
        proto: 3,
      }),
      reason: field(string(), { description: "A CamelCase reason for the status.", proto: 4 }),
      message: field(string(), { description: "A human-readable message.", proto: 5 }),
    },
  },
);

/** The observed state of a CRD. */
export const CustomResourceDefinitionStatus = object(`${APIEXT}.CustomResourceDefinitionStatus`, {
  description: "The state of the custom resource's serving.",
  fields: {
    conditions: field(
      array(CustomResourceDefinitionCondition, { listType: "map", listMapKeys: ["type"] }),
      { description: "The CRD's conditions.", proto: 1 },
    ),
    acceptedNames: field(CustomResourceDefinitionNames, {
      description: "The names actually served; they may differ from spec.names on conflicts.",
      proto: 2,
    }),
    storedVersions: field(array(string(), { listType: "atomic" }), {
      description: "Every version objects were ever stored in.",
      proto: 3,
    }),
  },
});

/** A CustomResourceDefinition. */
export const CustomResourceDefinition = object(`${APIEXT}.CustomResourceDefinition`, {
  description:
    "A custom resource the API server serves: its name must be <spec.names.plural>.<spec.group>.",
  gvk: [{ group: APIEXTENSIONS_GROUP, version: "v1", kind: "CustomResourceDefinition" }],
  fields: {
    ...objectFields,
    spec: requiredField(CustomResourceDefinitionSpec, {
      description: "How the custom resource is served.",
      proto: 2,
    }),
    status: field(CustomResourceDefinitionStatus, {
      description: "The state of the custom resource's serving; set by the server.",
      proto: 3,
    }),
  },
});

/** A `JSONSchemaProps` as JSON. */
export interface JSONSchemaProps {
  id?: string;
  $schema?: string;
  $ref?: string;
  description?: string;
  type?: string;
  format?: string;
  title?: string;
  default?: unknown;
  maximum?: number;
  exclusiveMaximum?: boolean;
  minimum?: number;
  exclusiveMinimum?: boolean;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  maxItems?: number;
  minItems?: number;
  uniqueItems?: boolean;
  multipleOf?: number;
  enum?: unknown[];
  maxProperties?: number;
  minProperties?: number;
  required?: string[];
  items?: JSONSchemaProps | JSONSchemaProps[];
  allOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  patternProperties?: Record<string, JSONSchemaProps>;
  dependencies?: Record<string, unknown>;
  additionalItems?: JSONSchemaProps | boolean;
  definitions?: Record<string, JSONSchemaProps>;
  externalDocs?: { description?: string; url?: string };
  example?: unknown;
  nullable?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-list-type"?: string;
  "x-kubernetes-map-type"?: string;
  "x-kubernetes-validations"?: ValidationRule[];
}

/** TypeScript type of {@linkcode CustomResourceDefinition}. */
export type CustomResourceDefinition = Infer<typeof CustomResourceDefinition>;
/** TypeScript type of {@linkcode CustomResourceDefinitionSpec}. */
export type CustomResourceDefinitionSpec = Infer<typeof CustomResourceDefinitionSpec>;
/** TypeScript type of {@linkcode CustomResourceDefinitionVersion}. */
export type CustomResourceDefinitionVersion = Infer<typeof CustomResourceDefinitionVersion>;
/** TypeScript type of {@linkcode CustomResourceDefinitionNames}. */
export type CustomResourceDefinitionNames = Infer<typeof CustomResourceDefinitionNames>;
/** TypeScript type of {@linkcode CustomResourceDefinitionStatus}. */
export type CustomResourceDefinitionStatus = Infer<typeof CustomResourceDefinitionStatus>;
/** TypeScript type of {@linkcode CustomResourceDefinitionCondition}. */
export type CustomResourceDefinitionCondition = Infer<typeof CustomResourceDefinitionCondition>;
/** TypeScript type of {@linkcode CustomResourceColumnDefinition}. */
export type CustomResourceColumnDefinition = Infer<typeof CustomResourceColumnDefinition>;
/** TypeScript type of {@linkcode CustomResourceSubresourceScale}. */
export type CustomResourceSubresourceScale = Infer<typeof CustomResourceSubresourceScale>;
/** TypeScript type of {@linkcode ValidationRule}. */
export type ValidationRule = Infer<typeof ValidationRule>;
