/**
 * The cluster's certificates on disk, as k3s keeps them: on first start the server creates a
 * cluster CA, its serving certificate and an admin client certificate under
 * `<data-dir>/tls/`, and writes `<data-dir>/kubeconfig.yaml`; later starts load them. Every file
 * is written atomically with mode 0600 (certificates 0644); keys never leave the data dir.
 *
 * The serving certificate is reissued when its SANs no longer cover what the server needs (a new
 * address or `--tls-san`).
 *
 * @module
 */
import { stringify } from "yaml";
import { writeFileAtomic } from "../../util/atomic_file.ts";
import {
  createCa,
  issueCertificate,
  type KeyPairCertificate,
  loadKeyPairCertificate,
} from "./certificates.ts";

/** Options of {@linkcode ensureClusterPki}. */
export interface ClusterPkiOptions {
  readonly dataDir: string;
  /** DNS names the serving certificate must cover. */
  readonly dnsNames: readonly string[];
  /** IP addresses the serving certificate must cover. */
  readonly ipAddresses: readonly string[];
  /** The server URL written into the kubeconfig. */
  readonly serverUrl: string;
  readonly now: Date;
}

/** The loaded certificates. */
export interface ClusterPki {
  readonly ca: KeyPairCertificate;
  readonly serving: KeyPairCertificate;
  readonly admin: KeyPairCertificate;
  /** `<data-dir>/kubeconfig.yaml`. */
  readonly kubeconfigPath: string;
  readonly kubeconfig: string;
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

async function loadPair(dir: string, name: string): Promise<KeyPairCertificate | null> {
  const cert = await readIfExists(`${dir}/${name}.crt`);
  const key = await readIfExists(`${dir}/${name}.key`);
  if (cert === null || key === null) return null;
  try {
    return await loadKeyPairCertificate(cert, key);
  } catch (err) {
    throw new Error(`Cannot load certificate "${dir}/${name}.crt"`, { cause: err });
  }
}

async function savePair(dir: string, name: string, pair: KeyPairCertificate): Promise<void> {
  // Key first: a crash between leaves a key without its certificate, which is regenerated.
  await writeFileAtomic(`${dir}/${name}.key`, { data: pair.keyPem, mode: 0o600 });
  await writeFileAtomic(`${dir}/${name}.crt`, { data: pair.certPem, mode: 0o644 });
}

function sans(pair: KeyPairCertificate): Set<string> {
  const out = new Set<string>();
  const ext = pair.certificate.extensions?.find((e) => e.extnID === "2.5.29.17");
  // pkijs parses the extension into an AltName (`altNames`) when it reads a certificate.
  const parsed = ext?.parsedValue as
    | { altNames?: { type: number; value: unknown }[]; names?: { type: number; value: unknown }[] }
    | undefined;
  const names = parsed?.altNames ?? parsed?.names ?? [];
  for (const n of names) {
    if (n.type === 2) out.add(`dns:${String(n.value)}`);
    if (n.type === 7) {
      const hex = (n.value as { valueBlock: { valueHexView: Uint8Array } }).valueBlock
        .valueHexView;
      out.add(`ip:${hex.length === 4 ? [...hex].join(".") : [...hex].join(",")}`);
    }
  }
  return out;
}

function covers(pair: KeyPairCertificate, options: ClusterPkiOptions): boolean {
  const have = sans(pair);
  for (const d of options.dnsNames) if (!have.has(`dns:${d}`)) return false;
  for (const ip of options.ipAddresses) {
    if (ip.includes(".") && !have.has(`ip:${ip}`)) return false;
  }
  return true;
}

function validAt(pair: KeyPairCertificate, now: Date): boolean {
  const t = now.getTime();
  return t >= pair.certificate.notBefore.value.getTime() &&
    t < pair.certificate.notAfter.value.getTime();
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

/**
 * Loads the cluster's certificates from `<data-dir>/tls/`, creating what is missing, and
 * (re)writes the admin kubeconfig.
 */
export async function ensureClusterPki(options: ClusterPkiOptions): Promise<ClusterPki> {
  const dir = `${options.dataDir}/tls`;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.chmod(dir, 0o700);
  const { now } = options;

  let ca = await loadPair(dir, "server-ca");
  if (ca === null) {
    ca = await createCa({ commonName: `skiff-server-ca@${Math.floor(now.getTime() / 1000)}`, now });
    await savePair(dir, "server-ca", ca);
  }

  let serving = await loadPair(dir, "serving");
  if (serving === null || !covers(serving, options) || !validAt(serving, now)) {
    serving = await issueCertificate(ca, {
      commonName: "skiff",
      usage: "server",
      dnsNames: options.dnsNames,
      ipAddresses: options.ipAddresses,
      now,
    });
    await savePair(dir, "serving", serving);
  }

  let admin = await loadPair(dir, "client-admin");
  if (admin === null || !validAt(admin, now)) {
    admin = await issueCertificate(ca, {
      commonName: "system:admin",
      organizations: ["system:masters"],
      usage: "client",
      now,
    });
    await savePair(dir, "client-admin", admin);
  }

  const kubeconfigPath = `${options.dataDir}/kubeconfig.yaml`;
  const kubeconfig = adminKubeconfig({ ca, admin }, options.serverUrl);
  if ((await readIfExists(kubeconfigPath)) !== kubeconfig) {
    await writeFileAtomic(kubeconfigPath, { data: kubeconfig, mode: 0o600 });
  }
  return { ca, serving, admin, kubeconfigPath, kubeconfig };
}
