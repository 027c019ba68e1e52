/**
 * The kubelet API's serving certificate, made as the kubelet makes its own when none is given:
 * a CA of the node's own (`<node>-ca@<unix time>`) and a certificate it signs
 * (`<node>@<unix time>`) for the node's name, hostname and addresses, kept under
 * `<data-dir>/agent/tls/` (the key mode 0600). A stored pair is reused while it covers the
 * names and has more than {@linkcode SERVING_RENEW_BEFORE_MS} to live; otherwise a new one is
 * made. The API server does not verify it (as kube-apiserver without
 * `--kubelet-certificate-authority`).
 *
 * @module
 */
import { dirname } from "node:path";
import { writeFileAtomic } from "../../control/util/atomic_file.ts";
import {
  createCa,
  issueCertificate,
  keyMatchesCertificate,
  loadKeyPairCertificate,
  notAfter,
  subjectAltNames,
} from "../../control/util/x509/certificates.ts";
import { readTextFileIfPresent } from "../../control/util/read_text_file_if_present.ts";

/** A stored certificate is replaced when it has less than this left. */
export const SERVING_RENEW_BEFORE_MS = 90 * 24 * 3600 * 1000;

/** What {@linkcode ensureKubeletServingCertificate} needs. */
export interface KubeletServingCertificateOptions {
  readonly certPath: string;
  readonly keyPath: string;
  readonly nodeName: string;
  readonly hostname: string;
  readonly ipAddresses: readonly string[];
  readonly now: Date;
}

/** A serving certificate chain (leaf first) and its key, PEM. */
export interface ServingCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** Whether it was made now (rather than read back). */
  readonly created: boolean;
}

async function stillGood(
  certPem: string,
  keyPem: string,
  options: KubeletServingCertificateOptions,
): Promise<boolean> {
  try {
    const pair = await loadKeyPairCertificate(certPem, keyPem);
    if (!await keyMatchesCertificate(pair)) return false;
    if (notAfter(pair.certificate).getTime() - options.now.getTime() < SERVING_RENEW_BEFORE_MS) {
      return false;
    }
    const sans = subjectAltNames(pair.certificate);
    const names = new Set([...sans.dnsNames, ...sans.ipAddresses]);
    const wanted = [options.nodeName, options.hostname, ...options.ipAddresses];
    return wanted.every((n) => names.has(n));
  } catch {
    return false;
  }
}

/** The stored serving certificate, or a new one (see the module doc). */
export async function ensureKubeletServingCertificate(
  options: KubeletServingCertificateOptions,
): Promise<ServingCertificate> {
  const [certPem, keyPem] = await Promise.all([
    readTextFileIfPresent(options.certPath),
    readTextFileIfPresent(options.keyPath),
  ]);
  if (certPem !== null && keyPem !== null && await stillGood(certPem, keyPem, options)) {
    return { certPem, keyPem, created: false };
  }
  const stamp = Math.floor(options.now.getTime() / 1000);
  const ca = await createCa({ commonName: `${options.nodeName}-ca@${stamp}`, now: options.now });
  const leaf = await issueCertificate(ca, {
    commonName: `${options.nodeName}@${stamp}`,
    usage: "server",
    dnsNames: [...new Set([options.nodeName, options.hostname])],
    ipAddresses: options.ipAddresses,
    now: options.now,
  });
  const chain = leaf.certPem + ca.certPem;
  await Deno.mkdir(dirname(options.certPath), { recursive: true, mode: 0o700 });
  // The key first: a crash between the two leaves a pair that fails stillGood, never a
  // certificate without its key.
  await writeFileAtomic(options.keyPath, { data: leaf.keyPem, mode: 0o600 });
  await writeFileAtomic(options.certPath, { data: chain, mode: 0o644 });
  return { certPem: chain, keyPem: leaf.keyPem, created: true };
}
