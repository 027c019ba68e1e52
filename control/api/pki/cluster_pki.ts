/**
 * The cluster's certificates on disk, as k3s keeps them: on first start the server creates a
 * cluster CA, its serving certificate, an admin client certificate and the client certificate
 * the API server shows kubelets (exec, logs, port-forward) under `<data-dir>/tls/`, and writes
 * `<data-dir>/kubeconfig.yaml`; later starts load them. Every file
 * is written atomically, keys and the kubeconfig with mode 0600 (certificates 0644); keys never
 * leave the data dir.
 *
 * A leaf certificate (serving, admin, kubelet client) is reissued, signed by the same CA, when it is missing or
 * unreadable, when its key does not match it (a crash between writing the two files), when
 * another CA signed it, when its names are no longer the ones wanted (a new address or
 * `--tls-san`), and when less than {@linkcode RENEW_BEFORE_MS} of it is left — at start here, and
 * while running by `CertificateRenewer` through {@linkcode renewClusterPki}. The CA is never
 * rotated: its 10 years bound every leaf.
 *
 * @module
 */
import { stringify } from "yaml";
import { writeFileAtomic } from "../../util/atomic_file.ts";
import { firstServiceIp } from "../admission/service_allocator.ts";
import { canonicalIpAddress } from "../../util/x509/_ip_address.ts";
import {
  createCa,
  isSignedBy,
  issueCertificate,
  type IssueOptions,
  keyMatchesCertificate,
  type KeyPairCertificate,
  loadKeyPairCertificate,
  subjectAltNames,
  subjectOf,
} from "../../util/x509/certificates.ts";

const DAY_MS = 24 * 3600 * 1000;

/** Leaf certificates are reissued when less than this is left of them: 90 days, as k3s. */
export const RENEW_BEFORE_MS = 90 * DAY_MS;

/** The server warns when the cluster CA has less than this left: one year. */
export const CA_WARNING_BEFORE_MS = 365 * DAY_MS;

/**
 * A leaf ending this close to the CA's end is as long as it can be: renewing it would not make
 * it last longer.
 */
const CAPPED_SLACK_MS = 60 * 1000;

/** The certificate files under `<data-dir>/tls/`, by base name. */
export type PkiFile = "server-ca" | "serving" | "client-admin" | "client-kube-apiserver";

/** Why a certificate was (re)issued. */
export type IssueReason =
  | "missing"
  | "unreadable"
  | "key-mismatch"
  | "other-ca"
  | "names-changed"
  | "expiring";

/** One certificate {@linkcode ensureClusterPki} or {@linkcode renewClusterPki} (re)issued. */
export interface IssuedCertificate {
  readonly file: PkiFile;
  readonly reason: IssueReason;
}

/** Options of {@linkcode ensureClusterPki} and {@linkcode renewClusterPki}. */
export interface ClusterPkiOptions {
  readonly dataDir: string;
  /** DNS names the serving certificate must list (see {@linkcode servingCertificateNames}). */
  readonly dnsNames: readonly string[];
  /** IP addresses the serving certificate must list. */
  readonly ipAddresses: readonly string[];
  /** The server URL written into the kubeconfig. */
  readonly serverUrl: string;
  readonly now: Date;
  /** Reissue leaves with less than this left. @default {RENEW_BEFORE_MS} */
  readonly renewBeforeMs?: number;
}

/** The loaded certificates. */
export interface ClusterPki {
  readonly ca: KeyPairCertificate;
  readonly serving: KeyPairCertificate;
  readonly admin: KeyPairCertificate;
  /** The API server's client certificate towards kubelets ({@linkcode KUBELET_CLIENT_SUBJECT}). */
  readonly kubeletClient: KeyPairCertificate;
  /** `<data-dir>/kubeconfig.yaml`. */
  readonly kubeconfigPath: string;
  readonly kubeconfig: string;
  /** What this call created or reissued, for the log; empty when everything was kept. */
  readonly issued: readonly IssuedCertificate[];
}

/** The subject of the admin client certificate, as Kubernetes names the admin. */
export const ADMIN_SUBJECT = {
  commonName: "system:admin",
  organizations: ["system:masters"],
} as const;

/**
 * The subject of the API server's client certificate towards kubelets, as kubeadm names it:
 * the kubelet API authorizes it as a cluster admin.
 */
export const KUBELET_CLIENT_SUBJECT = {
  commonName: "kube-apiserver-kubelet-client",
  organizations: ["system:masters"],
} as const;

interface LeafSpec {
  readonly file: Exclude<PkiFile, "server-ca">;
  readonly issue: Omit<IssueOptions, "now">;
}

function leafSpecs(options: ClusterPkiOptions): readonly LeafSpec[] {
  return [
    {
      file: "serving",
      issue: {
        commonName: "skiff",
        usage: "server",
        dnsNames: options.dnsNames,
        ipAddresses: options.ipAddresses,
      },
    },
    {
      file: "client-admin",
      issue: {
        commonName: ADMIN_SUBJECT.commonName,
        organizations: ADMIN_SUBJECT.organizations,
        usage: "client",
      },
    },
    {
      file: "client-kube-apiserver",
      issue: {
        commonName: KUBELET_CLIENT_SUBJECT.commonName,
        organizations: KUBELET_CLIENT_SUBJECT.organizations,
        usage: "client",
      },
    },
  ];
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

type Loaded =
  | { readonly kind: "missing" }
  | { readonly kind: "unreadable"; readonly error: unknown }
  | { readonly kind: "ok"; readonly pair: KeyPairCertificate };

async function loadPair(dir: string, name: PkiFile): Promise<Loaded> {
  const cert = await readIfExists(`${dir}/${name}.crt`);
  const key = await readIfExists(`${dir}/${name}.key`);
  if (cert === null || key === null) return { kind: "missing" };
  try {
    return { kind: "ok", pair: await loadKeyPairCertificate(cert, key) };
  } catch (error) {
    return { kind: "unreadable", error };
  }
}

async function savePair(dir: string, name: PkiFile, pair: KeyPairCertificate): Promise<void> {
  // Key first: a crash between leaves a new key beside the old certificate, which the next
  // start sees (key-mismatch) and reissues.
  await writeFileAtomic(`${dir}/${name}.key`, { data: pair.keyPem, mode: 0o600 });
  await writeFileAtomic(`${dir}/${name}.crt`, { data: pair.certPem, mode: 0o644 });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}

function canonicalIps(ips: readonly string[]): string[] {
  return ips.map((ip) => canonicalIpAddress(ip) ?? ip);
}

/** Whether a leaf lists exactly the names of `spec` (SANs for serving, the subject for clients). */
function namesMatch(pair: KeyPairCertificate, spec: LeafSpec): boolean {
  const subject = subjectOf(pair.certificate);
  if (subject.commonName !== spec.issue.commonName) return false;
  if (!sameSet(subject.organizations, spec.issue.organizations ?? [])) return false;
  const sans = subjectAltNames(pair.certificate);
  const lower = (names: readonly string[]) => names.map((d) => d.toLowerCase());
  return sameSet(lower(sans.dnsNames), lower(spec.issue.dnsNames ?? [])) &&
    sameSet(sans.ipAddresses, canonicalIps(spec.issue.ipAddresses ?? []));
}

/**
 * When `leaf` is due for renewal (ms since the epoch): {@linkcode RENEW_BEFORE_MS} before it
 * ends, or `Infinity` when it already ends with the CA, so that a renewal could not extend it.
 */
export function renewalTimeMs(
  leaf: KeyPairCertificate,
  options: { readonly ca: KeyPairCertificate; readonly renewBeforeMs?: number },
): number {
  const endMs = leaf.certificate.notAfter.value.getTime();
  const caEndMs = options.ca.certificate.notAfter.value.getTime();
  if (endMs >= caEndMs - CAPPED_SLACK_MS) return Infinity;
  return endMs - (options.renewBeforeMs ?? RENEW_BEFORE_MS);
}

/** The earliest {@linkcode renewalTimeMs} of the leaf certificates. */
export function nextRenewalTimeMs(
  pki: Pick<ClusterPki, "ca" | "serving" | "admin"> & Partial<Pick<ClusterPki, "kubeletClient">>,
  options: { readonly renewBeforeMs?: number } = {},
): number {
  const opts = { ca: pki.ca, ...options };
  return Math.min(
    renewalTimeMs(pki.serving, opts),
    renewalTimeMs(pki.admin, opts),
    pki.kubeletClient ? renewalTimeMs(pki.kubeletClient, opts) : Infinity,
  );
}

/** Why `loaded` must be reissued now, or `null` to keep it. */
async function leafProblem(
  loaded: Loaded,
  context: { spec: LeafSpec; ca: KeyPairCertificate; options: ClusterPkiOptions },
): Promise<IssueReason | null> {
  if (loaded.kind === "missing") return "missing";
  if (loaded.kind === "unreadable") return "unreadable";
  const { pair } = loaded;
  const { spec, ca, options } = context;
  if (!(await keyMatchesCertificate(pair))) return "key-mismatch";
  if (!(await isSignedBy(pair.certificate, ca.certificate))) return "other-ca";
  if (!namesMatch(pair, spec)) return "names-changed";
  // A certificate not valid yet is kept: the clock is behind (a board without a real-time clock
  // before NTP), and one issued now would end early once the clock catches up.
  if (options.now.getTime() >= renewalTimeMs(pair, { ca, ...options })) return "expiring";
  return null;
}

/** The admin kubeconfig for `serverUrl`, with the certificates embedded. */
export function adminKubeconfig(
  pki: Pick<ClusterPki, "ca" | "admin">,
  serverUrl: string,
): string {
  const b64 = (text: string) => btoa(text);
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "default",
      cluster: { "certificate-authority-data": b64(pki.ca.certPem), server: serverUrl },
    }],
    contexts: [{ name: "default", context: { cluster: "default", user: "default" } }],
    "current-context": "default",
    preferences: {},
    users: [{
      name: "default",
      user: {
        "client-certificate-data": b64(pki.admin.certPem),
        "client-key-data": b64(pki.admin.keyPem),
      },
    }],
  });
}

interface State {
  readonly ca: KeyPairCertificate;
  readonly leaves: Readonly<Record<LeafSpec["file"], Loaded>>;
  readonly issued: IssuedCertificate[];
}

/** Reissues the leaves that need it, writes them, and rewrites the kubeconfig if it changed. */
async function reconcile(state: State, options: ClusterPkiOptions): Promise<ClusterPki> {
  const dir = `${options.dataDir}/tls`;
  const { ca, issued } = state;
  const pairs = new Map<LeafSpec["file"], KeyPairCertificate>();
  for (const spec of leafSpecs(options)) {
    const loaded = state.leaves[spec.file];
    const reason = await leafProblem(loaded, { spec, ca, options });
    if (reason === null && loaded.kind === "ok") {
      pairs.set(spec.file, loaded.pair);
      continue;
    }
    const pair = await issueCertificate(ca, { ...spec.issue, now: options.now });
    await savePair(dir, spec.file, pair);
    pairs.set(spec.file, pair);
    issued.push({ file: spec.file, reason: reason ?? "missing" });
  }
  const serving = pairs.get("serving")!;
  const admin = pairs.get("client-admin")!;
  const kubeletClient = pairs.get("client-kube-apiserver")!;
  const kubeconfigPath = `${options.dataDir}/kubeconfig.yaml`;
  const kubeconfig = adminKubeconfig({ ca, admin }, options.serverUrl);
  if ((await readIfExists(kubeconfigPath)) !== kubeconfig) {
    await writeFileAtomic(kubeconfigPath, { data: kubeconfig, mode: 0o600 });
  }
  return { ca, serving, admin, kubeletClient, kubeconfigPath, kubeconfig, issued };
}

/**
 * Loads the cluster's certificates from `<data-dir>/tls/`, creating what is missing and
 * reissuing leaves that are due (see the module doc), and (re)writes the admin kubeconfig.
 * Throws when the CA on disk cannot be used (unreadable, key not matching, expired).
 */
export async function ensureClusterPki(options: ClusterPkiOptions): Promise<ClusterPki> {
  const dir = `${options.dataDir}/tls`;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.chmod(dir, 0o700);
  const { now } = options;
  const issued: IssuedCertificate[] = [];

  const loadedCa = await loadPair(dir, "server-ca");
  let ca: KeyPairCertificate;
  if (loadedCa.kind === "missing") {
    ca = await createCa({ commonName: `skiff-server-ca@${Math.floor(now.getTime() / 1000)}`, now });
    await savePair(dir, "server-ca", ca);
    issued.push({ file: "server-ca", reason: "missing" });
  } else if (loadedCa.kind === "unreadable") {
    throw new Error(`Cannot load certificate "${dir}/server-ca.crt"`, { cause: loadedCa.error });
  } else {
    ca = loadedCa.pair;
    if (!(await keyMatchesCertificate(ca))) {
      throw new Error(
        `Cannot use cluster CA "${dir}/server-ca.crt": key "${dir}/server-ca.key" does not match it`,
      );
    }
    const endMs = ca.certificate.notAfter.value.getTime();
    if (endMs <= now.getTime()) {
      throw new Error(
        `Cannot use cluster CA "${dir}/server-ca.crt": it expired at ${
          new Date(endMs).toISOString()
        }`,
      );
    }
  }

  const [serving, admin, kubeletClient] = await Promise.all([
    loadPair(dir, "serving"),
    loadPair(dir, "client-admin"),
    loadPair(dir, "client-kube-apiserver"),
  ]);
  const leaves = { serving, "client-admin": admin, "client-kube-apiserver": kubeletClient };
  return await reconcile({ ca, leaves, issued }, options);
}

/**
 * Reissues, with the same CA, the leaves of `pki` that are due at `options.now` (or whose names
 * differ from `options`), writes them and the kubeconfig; returns `pki` unchanged but for
 * `issued` when nothing was due.
 */
export async function renewClusterPki(
  pki: ClusterPki,
  options: ClusterPkiOptions,
): Promise<ClusterPki> {
  const leaves = {
    serving: { kind: "ok", pair: pki.serving },
    "client-admin": { kind: "ok", pair: pki.admin },
    "client-kube-apiserver": { kind: "ok", pair: pki.kubeletClient },
  } as const;
  return await reconcile({ ca: pki.ca, leaves, issued: [] }, options);
}

/** Options of {@linkcode servingCertificateNames}. */
export interface ServingNamesOptions {
  readonly nodeName: string;
  readonly hostname: string;
  /** The machine's addresses, as `Deno.networkInterfaces()` lists them. */
  readonly interfaces: readonly Pick<Deno.NetworkInterfaceInfo, "family" | "address">[];
  /** The Service range: its first address is the `kubernetes` Service's. */
  readonly serviceCidr: string;
  readonly clusterDomain: string;
  /** `--tls-san`: more DNS names and IP addresses. */
  readonly extraSans?: readonly string[];
}

/** IPv6 link-local addresses (fe80::/10) come and go with every pod's veth: never listed. */
function isLinkLocalIpv6(ip: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(ip);
}

/** A name a certificate can list and Go's parser (kubectl) accepts: printable ASCII, no space. */
function isCertificateDnsName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && /^[a-z0-9*_.-]+$/.test(name) &&
    !name.startsWith(".") && !name.endsWith(".");
}

/**
 * What the serving certificate lists, as k3s does: `localhost`, the hostname, the node name, the
 * `kubernetes` Service's DNS names; 127.0.0.1, ::1, the `kubernetes` Service IP (first address
 * of the service range), every address of the machine but IPv6 link-local ones; then the
 * `--tls-san` extras. Names are lowercased, addresses canonical, duplicates dropped.
 */
export function servingCertificateNames(
  options: ServingNamesOptions,
): { dnsNames: string[]; ipAddresses: string[] } {
  const dns = new Set<string>();
  const ips = new Set<string>();
  function addDns(name: string): void {
    const lower = name.trim().toLowerCase();
    if (isCertificateDnsName(lower)) dns.add(lower);
  }
  function addIp(text: string): boolean {
    const ip = canonicalIpAddress(text.trim());
    if (ip === null) return false;
    ips.add(ip);
    return true;
  }
  for (
    const name of [
      "localhost",
      options.hostname,
      options.nodeName,
      "kubernetes",
      "kubernetes.default",
      "kubernetes.default.svc",
      `kubernetes.default.svc.${options.clusterDomain}`,
    ]
  ) addDns(name);
  addIp("127.0.0.1");
  addIp("::1");
  addIp(firstServiceIp(options.serviceCidr));
  for (const i of options.interfaces) {
    if (i.family === "IPv6" && isLinkLocalIpv6(i.address)) continue;
    addIp(i.address);
  }
  for (const san of options.extraSans ?? []) {
    if (!addIp(san)) addDns(san);
  }
  return { dnsNames: [...dns], ipAddresses: [...ips] };
}
