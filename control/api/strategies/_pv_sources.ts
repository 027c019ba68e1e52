/**
 * Validation of the volume source of a PersistentVolume (the members of upstream's
 * `PersistentVolumeSource` and the `validate*VolumeSource` functions they use), with
 * upstream's messages.
 *
 * @module
 */
import type { PersistentVolumeSpec } from "../types/core_v1_storage.ts";
import {
  type FieldError,
  type FieldPath,
  forbidden,
  invalid,
  invalidEach,
  required,
  tooLong,
} from "../validation/field_errors.ts";
import { validatePathNoBacksteps } from "../validation/local_paths.ts";
import {
  isDns1123Label,
  isDns1123Subdomain,
  validateDns1123Label,
  validateDns1123Subdomain,
} from "../validation/names.ts";
import { inclusiveRangeError } from "../validation/numbers.ts";

type Spec = PersistentVolumeSpec;
type Source<K extends keyof Spec> = NonNullable<Spec[K]>;

const IQN = /iqn\.\d{4}-\d{2}\.([A-Za-z0-9\-.]+)(:[^,;*&$|\s]+)$/;
const EUI = /^eui.[A-Za-z0-9]{16}$/;
const NAA = /^naa.[A-Za-z0-9]{32}$/;

function iqnFormat(value: string, prefixDetail: string): string | null {
  if (!value.startsWith("iqn") && !value.startsWith("eui") && !value.startsWith("naa")) {
    return prefixDetail;
  }
  if (value.startsWith("iqn") && !IQN.test(value)) return "must be valid format";
  if (value.startsWith("eui") && !EUI.test(value)) return "must be valid format";
  if (value.startsWith("naa") && !NAA.test(value)) return "must be valid format";
  return null;
}

function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

function validateSecretRef(
  ref: { name?: string; namespace?: string },
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!ref.name) errs.push(required(path.child("name")));
  else errs.push(...validateDns1123Subdomain(ref.name, path.child("name")));
  if (!ref.namespace) errs.push(required(path.child("namespace")));
  else errs.push(...validateDns1123Label(ref.namespace, path.child("namespace")));
  return errs;
}

function validateCSIDriverName(driver: string, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (driver.length === 0) errs.push(required(path));
  if (driver.length > 63) errs.push(tooLong(path, 63));
  errs.push(
    ...invalidEach(path, { value: driver, messages: isDns1123Subdomain(driver.toLowerCase()) }),
  );
  return errs;
}

function validateISCSI(
  iscsi: Source<"iscsi">,
  options: { readonly pvName: string; readonly path: FieldPath },
): FieldError[] {
  const { path } = options;
  const errs: FieldError[] = [];
  if (!iscsi.targetPortal) errs.push(required(path.child("targetPortal")));
  if (
    iscsi.initiatorName !== undefined && `${options.pvName}:${iscsi.targetPortal}`.length > 64
  ) {
    errs.push(invalid(path.child("targetportal"), {
      value: iscsi.targetPortal,
      detail:
        "Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.",
    }));
  }
  if (!iscsi.iqn) {
    errs.push(required(path.child("iqn")));
  } else {
    const detail = iqnFormat(iscsi.iqn, "must be valid format");
    if (detail) errs.push(invalid(path.child("iqn"), { value: iscsi.iqn, detail }));
  }
  if (iscsi.lun < 0 || iscsi.lun > 255) {
    errs.push(
      invalid(path.child("lun"), { value: iscsi.lun, detail: inclusiveRangeError(0, 255) }),
    );
  }
  if ((iscsi.chapAuthDiscovery || iscsi.chapAuthSession) && iscsi.secretRef === undefined) {
    errs.push(required(path.child("secretRef")));
  }
  if (iscsi.secretRef !== undefined && !iscsi.secretRef.name) {
    errs.push(required(path.child("secretRef").child("name")));
  }
  if (iscsi.initiatorName !== undefined) {
    const detail = iqnFormat(iscsi.initiatorName, "must be valid format");
    if (detail) {
      errs.push(invalid(path.child("initiatorname"), { value: iscsi.initiatorName, detail }));
    }
  }
  return errs;
}

function validateFlexOptions(options: Record<string, string> | undefined, path: FieldPath) {
  const errs: FieldError[] = [];
  for (const k of Object.keys(options ?? {})) {
    const slash = k.indexOf("/");
    const ns = slash >= 0 ? k.slice(0, slash) : k;
    const normalized = `.${ns.toLowerCase()}`;
    if (normalized.endsWith(".kubernetes.io") || normalized.endsWith(".k8s.io")) {
      errs.push(invalid(path.child("options").index(k), {
        value: k,
        detail: "kubernetes.io and k8s.io namespaces are reserved",
      }));
    }
  }
  return errs;
}

/** The checks of one source member `name` (set in `spec`), at `path`. */
function validateSource(
  spec: Spec,
  options: { readonly name: keyof Spec; readonly pvName: string; readonly path: FieldPath },
): FieldError[] {
  const { path } = options;
  const errs: FieldError[] = [];
  const need = (value: unknown, child: string, detail = "") => {
    if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) {
      errs.push(required(path.child(child), detail));
    }
  };
  switch (options.name) {
    case "hostPath": {
      const s = spec.hostPath!;
      if (!s.path) return [required(path.child("path"))];
      errs.push(...validatePathNoBacksteps(s.path, path.child("path")));
      break;
    }
    case "gcePersistentDisk": {
      const s = spec.gcePersistentDisk!;
      need(s.pdName, "pdName");
      const partition = s.partition ?? 0;
      if (partition < 0 || partition > 255) {
        errs.push(invalid(path.child("partition"), {
          value: partition,
          detail: inclusiveRangeError(1, 255),
        }));
      }
      break;
    }
    case "awsElasticBlockStore": {
      const s = spec.awsElasticBlockStore!;
      need(s.volumeID, "volumeID");
      const partition = s.partition ?? 0;
      if (partition < 0 || partition > 255) {
        errs.push(invalid(path.child("partition"), {
          value: partition,
          detail: inclusiveRangeError(1, 255),
        }));
      }
      break;
    }
    case "glusterfs": {
      const s = spec.glusterfs!;
      need(s.endpoints, "endpoints");
      need(s.path, "path");
      if (s.endpointsNamespace !== undefined) {
        const ns = s.endpointsNamespace;
        if (ns === "") {
          errs.push(invalid(path.child("endpointsNamespace"), {
            value: ns,
            detail: "if the endpointnamespace is set, it must be a valid namespace name",
          }));
        } else {
          errs.push(
            ...invalidEach(path.child("endpointsNamespace"), {
              value: ns,
              messages: isDns1123Label(ns),
            }),
          );
        }
      }
      break;
    }
    case "flocker": {
      const s = spec.flocker!;
      const name = s.datasetName ?? "";
      const uuid = s.datasetUUID ?? "";
      if (!name && !uuid) {
        errs.push(required(path, "one of datasetName and datasetUUID is required"));
      }
      if (name && uuid) {
        errs.push(invalid(path, {
          value: "resource",
          detail: "datasetName and datasetUUID can not be specified simultaneously",
        }));
      }
      if (name.includes("/")) {
        errs.push(
          invalid(path.child("datasetName"), { value: name, detail: "must not contain '/'" }),
        );
      }
      break;
    }
    case "nfs": {
      const s = spec.nfs!;
      need(s.server, "server");
      need(s.path, "path");
      if (!isAbsolute(s.path ?? "")) {
        errs.push(
          invalid(path.child("path"), { value: s.path ?? "", detail: "must be an absolute path" }),
        );
      }
      break;
    }
    case "rbd": {
      const s = spec.rbd!;
      need(s.monitors, "monitors");
      need(s.image, "image");
      break;
    }
    case "quobyte": {
      const s = spec.quobyte!;
      if (!s.registry) {
        errs.push(required(
          path.child("registry"),
          "must be a host:port pair or multiple pairs separated by commas",
        ));
      } else if ((s.tenant ?? "").length >= 65) {
        errs.push(required(
          path.child("tenant"),
          "must be a UUID and may not exceed a length of 64 characters",
        ));
      } else {
        for (const pair of s.registry.split(",")) {
          if (!/^(\[[^\]]*\]|[^:\[\]]*):[^:]*$/.test(pair)) {
            errs.push(invalid(path.child("registry"), {
              value: s.registry,
              detail: "must be a host:port pair or multiple pairs separated by commas",
            }));
          }
        }
      }
      need(s.volume, "volume");
      break;
    }
    case "cephfs":
      need(spec.cephfs!.monitors, "monitors");
      break;
    case "iscsi":
      return validateISCSI(spec.iscsi!, { pvName: options.pvName, path });
    case "cinder": {
      const s = spec.cinder!;
      need(s.volumeID, "volumeID");
      if (s.secretRef !== undefined) {
        need(s.secretRef.name, "secretRef.name");
        need(s.secretRef.namespace, "secretRef.namespace");
      }
      break;
    }
    case "fc": {
      const s = spec.fc!;
      const wwns = s.targetWWNs ?? [];
      const wwids = s.wwids ?? [];
      if (wwns.length < 1 && wwids.length < 1) {
        errs.push(required(
          path.child("targetWWNs"),
          "must specify either targetWWNs or wwids, but not both",
        ));
      }
      if (wwns.length !== 0 && wwids.length !== 0) {
        errs.push(invalid(path.child("targetWWNs"), {
          value: wwns,
          detail: "targetWWNs and wwids can not be specified simultaneously",
        }));
      }
      if (wwns.length !== 0) {
        if (s.lun === undefined) {
          errs.push(required(path.child("lun"), "lun is required if targetWWNs is specified"));
        } else if (s.lun < 0 || s.lun > 255) {
          errs.push(
            invalid(path.child("lun"), { value: s.lun, detail: inclusiveRangeError(0, 255) }),
          );
        }
      }
      break;
    }
    case "flexVolume": {
      const s = spec.flexVolume!;
      need(s.driver, "driver");
      errs.push(...validateFlexOptions(s.options, path));
      break;
    }
    case "azureFile": {
      const s = spec.azureFile!;
      need(s.secretName, "secretName");
      need(s.shareName, "shareName");
      if (s.secretNamespace !== undefined && s.secretNamespace === "") {
        errs.push(required(path.child("secretNamespace")));
      }
      break;
    }
    case "vsphereVolume":
      need(spec.vsphereVolume!.volumePath, "volumePath");
      break;
    case "photonPersistentDisk":
      need(spec.photonPersistentDisk!.pdID, "pdID");
      break;
    case "portworxVolume":
      need(spec.portworxVolume!.volumeID, "volumeID");
      break;
    case "azureDisk": {
      const s = spec.azureDisk!;
      need(s.diskName, "diskName");
      need(s.diskURI, "diskURI");
      break;
    }
    case "scaleIO": {
      const s = spec.scaleIO!;
      need(s.gateway, "gateway");
      need(s.system, "system");
      need(s.volumeName, "volumeName");
      break;
    }
    case "local": {
      const s = spec.local!;
      if (!s.path) return [required(path.child("path"))];
      errs.push(...validatePathNoBacksteps(s.path, path.child("path")));
      break;
    }
    case "storageos": {
      const s = spec.storageos!;
      if (!s.volumeName) errs.push(required(path.child("volumeName")));
      else errs.push(...validateDns1123Label(s.volumeName, path.child("volumeName")));
      if (s.volumeNamespace) {
        errs.push(...validateDns1123Label(s.volumeNamespace, path.child("volumeNamespace")));
      }
      if (s.secretRef !== undefined) {
        need(s.secretRef.name, "secretRef.name");
        need(s.secretRef.namespace, "secretRef.namespace");
      }
      break;
    }
    case "csi": {
      const s = spec.csi!;
      errs.push(...validateCSIDriverName(s.driver, path.child("driver")));
      need(s.volumeHandle, "volumeHandle");
      for (
        const ref of [
          "controllerPublishSecretRef",
          "controllerExpandSecretRef",
          "nodePublishSecretRef",
          "nodeExpandSecretRef",
        ] as const
      ) {
        const r = s[ref];
        if (r !== undefined) errs.push(...validateSecretRef(r, path.child(ref)));
      }
      break;
    }
  }
  return errs;
}

/** The source members in the order upstream checks them. */
const SOURCE_ORDER = [
  "hostPath",
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "glusterfs",
  "flocker",
  "nfs",
  "rbd",
  "quobyte",
  "cephfs",
  "iscsi",
  "cinder",
  "fc",
  "flexVolume",
  "azureFile",
  "vsphereVolume",
  "photonPersistentDisk",
  "portworxVolume",
  "azureDisk",
  "scaleIO",
  "local",
  "storageos",
  "csi",
] as const satisfies readonly (keyof Spec)[];

/** Upstream's path segments where they differ from the JSON names. */
const VALIDATION_PATHS: Partial<Record<keyof Spec, string>> = {
  gcePersistentDisk: "persistentDisk",
};
const FORBIDDEN_PATHS: Partial<Record<keyof Spec, string>> = { cephfs: "cephFS" };

/**
 * The volume-source checks of `ValidatePersistentVolumeSpec`: exactly one source, each valid;
 * a local volume needs node affinity.
 */
export function validatePersistentVolumeSource(
  spec: Spec,
  options: { readonly pvName: string; readonly path: FieldPath; readonly hasNodeAffinity: boolean },
): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const name of SOURCE_ORDER) {
    if (spec[name] === undefined) continue;
    // Upstream does not count flexVolume as a second source.
    if (count > 0 && name !== "flexVolume") {
      errs.push(forbidden(
        options.path.child(FORBIDDEN_PATHS[name] ?? name),
        "may not specify more than 1 volume type",
      ));
      continue;
    }
    count++;
    const p = options.path.child(VALIDATION_PATHS[name] ?? name);
    errs.push(...validateSource(spec, { name, pvName: options.pvName, path: p }));
    if (name === "local" && !options.hasNodeAffinity) {
      errs.push(
        required(options.path.child("nodeAffinity"), "Local volume requires node affinity"),
      );
    }
  }
  if (count === 0) errs.push(required(options.path, "must specify a volume type"));
  return errs;
}
