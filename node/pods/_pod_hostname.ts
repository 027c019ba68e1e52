/**
 * The hostname the kubelet gives a pod's sandbox: `spec.hostname` or the pod's name, cut to 63
 * characters, and with `setHostnameAsFQDN` its fully qualified name
 * `<hostname>.<subdomain>.<namespace>.svc.<cluster domain>`.
 *
 * @module
 */
import type { Pod } from "../../control/api/types/core_v1_pod.ts";

const HOSTNAME_MAX_LENGTH = 63;
/** The kernel's nodename field holds 64 characters. */
const FQDN_MAX_LENGTH = 64;
const LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const LABEL = new RegExp(`^${LABEL_FMT}$`);

/** Problems with `value` as a lowercase RFC 1123 label, in the API server's words. */
function labelProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > HOSTNAME_MAX_LENGTH) {
    problems.push(`must be no more than ${HOSTNAME_MAX_LENGTH} characters`);
  }
  if (!LABEL.test(value)) {
    problems.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '" +
        LABEL_FMT + "')",
    );
  }
  return problems;
}

function checkLabel(what: string, value: string): void {
  const problems = labelProblems(value);
  if (problems.length > 0) {
    throw new TypeError(`pod ${what} "${value}" is not a valid DNS label: ${problems.join(";")}`);
  }
}

/**
 * The pod's hostname and domain (`<subdomain>.<namespace>.svc.<clusterDomain>`, empty without a
 * subdomain). Throws `TypeError` with the kubelet's message for an invalid hostname or subdomain.
 */
export function podHostnameAndDomain(
  pod: Pod,
  clusterDomain: string,
): { readonly hostname: string; readonly domain: string } {
  const name = pod.metadata?.name ?? "";
  let hostname = name;
  const specHostname = pod.spec?.hostname ?? "";
  if (specHostname !== "") {
    checkLabel("Hostname", specHostname);
    hostname = specHostname;
  }
  if (hostname.length > HOSTNAME_MAX_LENGTH) {
    const full = hostname;
    hostname = hostname.slice(0, HOSTNAME_MAX_LENGTH).replace(/[-.]+$/, "");
    if (hostname === "") throw new TypeError(`hostname for pod "${name}" was invalid: "${full}"`);
  }
  let domain = "";
  const subdomain = pod.spec?.subdomain ?? "";
  if (subdomain !== "") {
    checkLabel("Subdomain", subdomain);
    domain = `${subdomain}.${pod.metadata?.namespace ?? ""}.svc.${clusterDomain}`;
  }
  return { hostname, domain };
}

/**
 * The name the kernel of the pod's sandbox gets: the hostname, or with `setHostnameAsFQDN` and a
 * domain the FQDN. Throws `RangeError` with the kubelet's message when the FQDN is too long.
 */
export function kernelHostname(pod: Pod, clusterDomain: string): string {
  const { hostname, domain } = podHostnameAndDomain(pod, clusterDomain);
  if (domain === "" || pod.spec?.setHostnameAsFQDN !== true) return hostname;
  const fqdn = `${hostname}.${domain}`;
  if (fqdn.length > FQDN_MAX_LENGTH) {
    throw new RangeError(
      `failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (${FQDN_MAX_LENGTH} characters is the max, ${fqdn.length} characters requested)`,
    );
  }
  return fqdn;
}
