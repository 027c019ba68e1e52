/**
 * Kubernetes' two time formats: `metav1.Time` (RFC 3339, whole seconds) and
 * `metav1.MicroTime` (six fractional digits).
 *
 * @module
 */

export {
  formatMicroTime as microTime,
  formatTime as rfc3339,
} from "../../control/util/k8s_time.ts";
