/**
 * Validation of a pod's volumes (upstream `ValidateVolumes` and `validateVolumeSource`) and of
 * the PersistentVolumeClaimSpec embedded in generic ephemeral volumes.
 *
 * @module
 */
import type { KeyToPath, ResourceFieldSelector } from "../types/core_v1_common.ts";
import type {
  DownwardAPIVolumeFile,
  PersistentVolumeClaimSpec,
  PersistentVolumeClaimTemplate,
  Volume,
  VolumeSource,
} from "../types/core_v1_pod.ts";
import { VOLUME_SOURCE_FIELDS } from "../types/core_v1_pod.ts";
import {
  duplicate,
  type FieldError,
  FieldPath,
  forbidden,
  invalid,
  invalidEach,
  notSupported,
  required,
} from "../validation/field_errors.ts";
import { validateAnnotations, validateLabels } from "../validation/label_validation.ts";
import {
  validateLocalNonReservedPath,
  validatePathNoBacksteps,
} from "../validation/local_paths.ts";
import {
  isDns1123Subdomain,
  validateDns1123Label,
  validateDns1123Subdomain,
} from "../validation/names.ts";
import { IS_NOT_POSITIVE_ERROR } from "../validation/numbers.ts";
import { parseQuantity, validateResourceQuantityValue } from "../validation/resource_names.ts";
import { validateLabelSelector } from "../validation/selector_validation.ts";
import { validateObjectFieldSelector, validateResourceFieldSelector } from "./_downward_api.ts";
import { FILE_MODE_ERROR } from "./_validation_util.ts";

/** What the volume checks need to know about the object. */
export interface VolumeValidationContext {
  /** Name of the pod, when validating a real pod (not a template). */
  readonly podName?: string;
  /** The object is a Pod, not a PodSpec embedded in another kind. */
  readonly resourceIsPod: boolean;
}

/** The forbidden-path spelling upstream uses for a second source of each type. */
const SECOND_SOURCE_PATH: Readonly<Record<string, string>> = {
  cephfs: "cephFS",
  downwardAPI: "downwarAPI",
};

/** The order upstream counts sources in (emptyDir first). */
const SOURCE_ORDER = [
  "emptyDir",
  "hostPath",
  "gitRepo",
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "secret",
  "nfs",
  "iscsi",
  "glusterfs",
  "flocker",
  "persistentVolumeClaim",
  "rbd",
  "cinder",
  "cephfs",
  "quobyte",
  "downwardAPI",
  "fc",
  "flexVolume",
  "configMap",
  "azureFile",
  "vsphereVolume",
  "photonPersistentDisk",
  "portworxVolume",
  "azureDisk",
  "storageos",
  "projected",
  "scaleIO",
  "csi",
  "ephemeral",
  "image",
] as const satisfies readonly (typeof VOLUME_SOURCE_FIELDS)[number][];

const HOST_PATH_TYPES = [
  "",
  "BlockDevice",
  "CharDevice",
  "Directory",
  "DirectoryOrCreate",
  "File",
  "FileOrCreate",
  "Socket",
];

const VOLUME_DOWNWARD_API_FIELDS = [
  "metadata.annotations",
  "metadata.labels",
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
];

function validateMode(mode: number | undefined, path: FieldPath): FieldError[] {
  return mode !== undefined && (mode > 0o777 || mode < 0)
    ? [invalid(path, { value: mode, detail: FILE_MODE_ERROR })]
    : [];
}

function validateKeyToPath(kp: KeyToPath, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateLocalNonReservedPath(kp.path ?? "", path.child("path")));
  errs.push(...validateMode(kp.mode, path.child("mode")));
  return errs;
}

function validateItems(items: readonly KeyToPath[] | undefined, path: FieldPath): FieldError[] {
  return (items ?? []).flatMap((kp, i) => validateKeyToPath(kp, path.index(i)));
}

function validateDownwardAPIFile(f: DownwardAPIVolumeFile, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateLocalNonReservedPath(f.path ?? "", path.child("path")));
  if (f.fieldRef) {
    errs.push(
      ...validateObjectFieldSelector(f.fieldRef, {
        expressions: VOLUME_DOWNWARD_API_FIELDS,
        path: path.child("fieldRef"),
      }),
    );
    if (f.resourceFieldRef) {
      errs.push(invalid(path, {
        value: "resource",
        detail: "fieldRef and resourceFieldRef can not be specified simultaneously",
      }));
    }
  } else if (f.resourceFieldRef) {
    errs.push(
      ...validateResourceFieldSelector(f.resourceFieldRef as ResourceFieldSelector, {
        path: path.child("resourceFieldRef"),
        volume: true,
      }),
    );
  } else {
    errs.push(required(path, "one of fieldRef and resourceFieldRef is required"));
  }
  errs.push(...validateMode(f.mode, path.child("mode")));
  return errs;
}

function validateDownwardAPIFiles(
  items: readonly DownwardAPIVolumeFile[] | undefined,
  path: FieldPath,
): FieldError[] {
  return (items ?? []).flatMap((f, i) => validateDownwardAPIFile(f, path.index(i)));
}

function validateProjected(
  projected: NonNullable<VolumeSource["projected"]>,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const allPaths = new Set<string>();
  const checkPath = (p: string | undefined, at: FieldPath) => {
    if (!p) return;
    if (allPaths.has(p)) {
      errs.push(invalid(at, { value: p, detail: "conflicting duplicate paths" }));
    }
    allPaths.add(p);
  };
  (projected.sources ?? []).forEach((source, i) => {
    const sp = path.child("sources").index(i);
    let count = 0;
    if (source.secret) {
      count++;
      const p = sp.child("secret");
      if (!source.secret.name) errs.push(required(p.child("name")));
      (source.secret.items ?? []).forEach((kp, j) => {
        const ip = p.child("items").index(j);
        errs.push(...validateKeyToPath(kp, ip));
        checkPath(kp.path, ip.child("path"));
      });
    }
    if (source.configMap) {
      if (count > 0) {
        errs.push(forbidden(sp.child("configMap"), "may not specify more than 1 volume type"));
      } else {
        count++;
        const p = sp.child("configMap");
        if (!source.configMap.name) errs.push(required(p.child("name")));
        (source.configMap.items ?? []).forEach((kp, j) => {
          const ip = p.child("items").index(j);
          errs.push(...validateKeyToPath(kp, ip));
          checkPath(kp.path, ip.child("path"));
        });
      }
    }
    if (source.downwardAPI) {
      if (count > 0) {
        errs.push(forbidden(sp.child("downwardAPI"), "may not specify more than 1 volume type"));
      } else {
        count++;
        const p = sp.child("downwardAPI");
        (source.downwardAPI.items ?? []).forEach((f, j) => {
          const ip = p.child("items").index(j);
          errs.push(...validateDownwardAPIFile(f, ip));
          checkPath(f.path, ip.child("path"));
        });
      }
    }
    if (source.serviceAccountToken) {
      if (count > 0) {
        errs.push(
          forbidden(sp.child("serviceAccountToken"), "may not specify more than 1 volume type"),
        );
      } else {
        count++;
        const p = sp.child("serviceAccountToken");
        const token = source.serviceAccountToken;
        const seconds = token.expirationSeconds ?? 3600;
        if (seconds < 600) {
          errs.push(invalid(p.child("expirationSeconds"), {
            value: seconds,
            detail: "may not specify a duration less than 10 minutes",
          }));
        } else if (seconds > 2 ** 32) {
          errs.push(invalid(p.child("expirationSeconds"), {
            value: seconds,
            detail: "may not specify a duration larger than 2^32 seconds",
          }));
        }
        if (token.path) errs.push(...validateLocalNonReservedPath(token.path, p.child("path")));
        checkPath(token.path, p.child("path"));
      }
    }
    if (source.clusterTrustBundle) {
      if (count > 0) {
        errs.push(
          forbidden(sp.child("clusterTrustBundle"), "may not specify more than 1 volume type"),
        );
      } else {
        count++;
        const p = sp.child("clusterTrustBundle");
        const b = source.clusterTrustBundle;
        if (b.path) errs.push(...validateLocalNonReservedPath(b.path, p.child("path")));
        checkPath(b.path, p.child("path"));
      }
    }
    if (count === 0) errs.push(required(sp, "must specify exactly 1 volume type"));
  });
  errs.push(...validateMode(projected.defaultMode, path.child("defaultMode")));
  return errs;
}

const ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

/** `ValidatePersistentVolumeClaimSpec`, for the claim of an ephemeral volume. */
export function validatePersistentVolumeClaimSpec(
  spec: PersistentVolumeClaimSpec,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const modes = spec.accessModes ?? [];
  if (modes.length === 0) {
    errs.push(required(path.child("accessModes"), "at least 1 access mode is required"));
  }
  errs.push(...validateLabelSelector(spec.selector, { path: path.child("selector") }));
  let rwop = false, other = false;
  for (const mode of modes) {
    if (!ACCESS_MODES.includes(mode)) {
      errs.push(notSupported(path.child("accessModes"), { value: mode, supported: ACCESS_MODES }));
    } else if (mode === "ReadWriteOncePod") rwop = true;
    else other = true;
  }
  if (rwop && other) {
    errs.push(
      forbidden(path.child("accessModes"), "may not use ReadWriteOncePod with other access modes"),
    );
  }
  const storagePath = path.child("resources").index("storage");
  const raw = spec.resources?.requests?.["storage"];
  const storage = parseQuantity(raw);
  if (raw === undefined) {
    errs.push(required(storagePath));
  } else if (storage !== null && storage.sign() <= 0) {
    errs.push(invalid(storagePath, { value: storage.toString(), detail: IS_NOT_POSITIVE_ERROR }));
  } else if (storage !== null) {
    errs.push(...validateResourceQuantityValue(storage, { name: "storage", path: storagePath }));
  }
  if (spec.storageClassName) {
    errs.push(...validateDns1123Subdomain(spec.storageClassName, path.child("storageClassName")));
  }
  for (
    const [name, ref] of [["dataSource", spec.dataSource], [
      "dataSourceRef",
      spec.dataSourceRef,
    ]] as const
  ) {
    if (!ref) continue;
    const rp = path.child(name);
    const group = ref.apiGroup ?? "";
    if (group === "" && ref.kind !== "PersistentVolumeClaim") {
      errs.push(invalid(rp, {
        value: ref.kind,
        detail: "must be 'PersistentVolumeClaim' when referencing the default apiGroup",
      }));
    }
    if (group !== "") {
      errs.push(
        ...invalidEach(rp.child("apiGroup"), { value: group, messages: isDns1123Subdomain(group) }),
      );
    }
  }
  return errs;
}

function validateClaimTemplate(
  template: PersistentVolumeClaimTemplate,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const meta = template.metadata ?? {};
  const metaPath = path.child("metadata");
  for (const key of Object.keys(meta)) {
    if (key !== "labels" && key !== "annotations") {
      errs.push(forbidden(metaPath, "only labels and annotations are allowed"));
      break;
    }
  }
  errs.push(...validateLabels(meta.labels, metaPath.child("labels")));
  errs.push(...validateAnnotations(meta.annotations, metaPath.child("annotations")));
  errs.push(...validatePersistentVolumeClaimSpec(template.spec, path.child("spec")));
  return errs;
}

function validateSource(
  vol: Volume,
  path: FieldPath,
  ctx: VolumeValidationContext,
): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  const src = vol as VolumeSource;
  for (const kind of SOURCE_ORDER) {
    if (src[kind] === undefined || src[kind] === null) continue;
    if (count > 0) {
      errs.push(
        forbidden(
          path.child(SECOND_SOURCE_PATH[kind] ?? kind),
          "may not specify more than 1 volume type",
        ),
      );
      continue;
    }
    count++;
    errs.push(...validateOneSource(kind, src, path, vol.name, ctx));
  }
  if (count === 0) errs.push(required(path, "must specify a volume type"));
  return errs;
}

function validateOneSource(
  kind: (typeof SOURCE_ORDER)[number],
  src: VolumeSource,
  path: FieldPath,
  volName: string,
  ctx: VolumeValidationContext,
): FieldError[] {
  const errs: FieldError[] = [];
  const p = path.child(kind);
  switch (kind) {
    case "emptyDir": {
      const limit = parseQuantity(src.emptyDir?.sizeLimit);
      if (limit !== null && limit.sign() < 0) {
        errs.push(
          forbidden(p.child("sizeLimit"), "SizeLimit field must be a valid resource quantity"),
        );
      }
      break;
    }
    case "hostPath": {
      const hp = src.hostPath!;
      if (!hp.path) break; // the schema reports the missing path
      errs.push(...validatePathNoBacksteps(hp.path, p.child("path")));
      if (hp.type !== undefined && !HOST_PATH_TYPES.includes(hp.type)) {
        errs.push(notSupported(p.child("type"), { value: hp.type, supported: HOST_PATH_TYPES }));
      }
      break;
    }
    case "gitRepo": {
      const g = src.gitRepo!;
      const dir = g.directory ?? "";
      errs.push(...validatePathNoBacksteps(dir, p.child("directory")));
      if (dir.startsWith("/")) {
        errs.push(invalid(p.child("directory"), { value: dir, detail: "must be a relative path" }));
      }
      break;
    }
    case "secret": {
      const s = src.secret!;
      if (!s.secretName) errs.push(required(p.child("secretName")));
      errs.push(...validateMode(s.defaultMode, p.child("defaultMode")));
      errs.push(...validateItems(s.items, p.child("items")));
      break;
    }
    case "configMap": {
      const c = src.configMap!;
      if (!c.name) errs.push(required(p.child("name")));
      errs.push(...validateMode(c.defaultMode, p.child("defaultMode")));
      errs.push(...validateItems(c.items, p.child("items")));
      break;
    }
    case "nfs": {
      const n = src.nfs!;
      if (n.path && !n.path.startsWith("/")) {
        errs.push(invalid(p.child("path"), { value: n.path, detail: "must be an absolute path" }));
      }
      break;
    }
    case "downwardAPI":
      errs.push(...validateMode(src.downwardAPI!.defaultMode, p.child("defaultMode")));
      errs.push(...validateDownwardAPIFiles(src.downwardAPI!.items, p.child("items")));
      break;
    case "projected":
      errs.push(...validateProjected(src.projected!, p));
      break;
    case "csi": {
      const driver = src.csi!.driver;
      if (driver) {
        if (driver.length > 63) {
          errs.push(
            invalid(p.child("driver"), {
              value: driver,
              detail: "must be no more than 63 characters",
            }),
          );
        }
        errs.push(
          ...invalidEach(p.child("driver"), {
            value: driver,
            messages: isDns1123Subdomain(driver.toLowerCase()),
          }),
        );
      }
      break;
    }
    case "ephemeral": {
      const tmpl = src.ephemeral!.volumeClaimTemplate;
      if (!tmpl) errs.push(required(p.child("volumeClaimTemplate")));
      else errs.push(...validateClaimTemplate(tmpl, p.child("volumeClaimTemplate")));
      if (ctx.podName && volName) {
        const pvc = `${ctx.podName}-${volName}`;
        for (const msg of isDns1123Subdomain(pvc)) {
          errs.push(
            invalid(path.child("name"), { value: volName, detail: `PVC name "${pvc}": ${msg}` }),
          );
        }
      }
      break;
    }
    case "image": {
      const img = src.image!;
      if (ctx.resourceIsPod && !img.reference) errs.push(required(p.child("reference")));
      break;
    }
    default:
      break;
  }
  return errs;
}

/** `ValidateVolumes`: the errors and the names of the valid volumes with their sources. */
export function validateVolumes(
  volumes: readonly Volume[] | undefined,
  options: { readonly path: FieldPath; readonly context: VolumeValidationContext },
): { errors: FieldError[]; volumes: Map<string, Volume> } {
  const errors: FieldError[] = [];
  const valid = new Map<string, Volume>();
  const names = new Set<string>();
  const created = new Set<string>();
  const podName = options.context.podName;
  if (podName) {
    for (const v of volumes ?? []) if (v.ephemeral) created.add(`${podName}-${v.name}`);
  }
  (volumes ?? []).forEach((vol, i) => {
    const p = options.path.index(i);
    const namePath = p.child("name");
    const el = validateSource(vol, p, options.context);
    if (vol.name) el.push(...validateDns1123Label(vol.name, namePath));
    if (names.has(vol.name)) el.push(duplicate(namePath, vol.name));
    if (el.length === 0) {
      names.add(vol.name);
      valid.set(vol.name, vol);
    } else {
      errors.push(...el);
    }
    const claim = vol.persistentVolumeClaim?.claimName;
    if (claim !== undefined && created.has(claim)) {
      errors.push(invalid(p.child("persistentVolumeClaim").child("claimName"), {
        value: claim,
        detail: "must not reference a PVC that gets created for an ephemeral volume",
      }));
    }
  });
  return { errors, volumes: valid };
}
