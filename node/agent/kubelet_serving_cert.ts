/**
 * The kubelet API's serving certificate, made as the kubelet makes its own when none is given:
 * a CA of the node's own (`<node>-ca@<unix time>`) and a certificate it signs
 * (`<node>@<unix time>`) for the node's name, hostname and addresses, kept under
 * `<data-dir>/agent/tls/` (the key mode 0600). A stored pair is reused while it covers the
 * names and has more than {@linkcode SERVING_RENEW_BEFORE_MS} to live; otherwise a new one is
 * made. The API server does not verify it (as kube-apiserver without
 * `--kubelet-certificate-authority`). The pair is written by `_serving_cert_der.ts` and read
 * back with `node:crypto`, so the agent loads no ASN.1 library.
 *
 * @module
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { dirname } from "node:path";
import { writeFileAtomic } from "../../control/util/atomic_file.ts";
import { readTextFileIfPresent } from "../../control/util/read_text_file_if_present.ts";
import { createServingPair } from "./_serving_cert_der.ts";

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

function stillGood(
  certPem: string,
  keyPem: string,
  options: KubeletServingCertificateOptions,
): boolean {
  try {
    const leaf = new X509Certificate(certPem);
    if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) return false;
    if (leaf.validToDate.getTime() - options.now.getTime() < SERVING_RENEW_BEFORE_MS) {
      return false;
    }
    const wanted = [options.nodeName, options.hostname, ...options.ipAddresses];
    return wanted.every((n) =>
      isIP(n) ? leaf.checkIP(n) !== undefined : leaf.checkHost(n, { subject: "never" }) === n
    );
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
  if (certPem !== null && keyPem !== null && stillGood(certPem, keyPem, options)) {
    return { certPem, keyPem, created: false };
  }
  const stamp = Math.floor(options.now.getTime() / 1000);
  const pair = await createServingPair({
    caCommonName: `${options.nodeName}-ca@${stamp}`,
    commonName: `${options.nodeName}@${stamp}`,
    dnsNames: [...new Set([options.nodeName, options.hostname])],
    ipAddresses: options.ipAddresses,
    now: options.now,
  });
  await Deno.mkdir(dirname(options.certPath), { recursive: true, mode: 0o700 });
  // The key first: a crash between the two leaves a pair that fails stillGood, never a
  // certificate without its key.
  await writeFileAtomic(options.keyPath, { data: pair.keyPem, mode: 0o600 });
  await writeFileAtomic(options.certPath, { data: pair.chainPem, mode: 0o644 });
  return { certPem: pair.chainPem, keyPem: pair.keyPem, created: true };
}
