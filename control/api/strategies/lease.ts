/**
 * The strategy of `coordination.k8s.io/v1` Lease: upstream `ValidateLease` and the registry's
 * handling of the coordinated-leader-election fields.
 *
 * @module
 */
import { COORDINATED_LEASE_STRATEGIES, type Lease } from "../types/coordination_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  FieldError,
  FieldPath,
  forbidden,
  invalid,
  notSupported,
} from "../validation/field_errors.ts";
import { isQualifiedName } from "../validation/names.ts";
import type { Strategy } from "./strategy.ts";

/** Options of {@linkcode createLeaseStrategy}. */
export interface LeaseStrategyOptions {
  /**
   * The `CoordinatedLeaderElection` feature gate: without it, `spec.strategy` and
   * `spec.preferredHolder` are dropped unless the stored lease already uses them.
   *
   * @default {false}
   */
  readonly coordinatedLeaderElection?: boolean;
}

/** Errors in a lease's spec (`ValidateLeaseSpec`). */
export function validateLeaseSpec(spec: Lease["spec"]): FieldError[] {
  const path = new FieldPath("spec");
  const errs: FieldError[] = [];
  if (spec === undefined) return errs;
  if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds <= 0) {
    errs.push(invalid(path.child("leaseDurationSeconds"), {
      value: spec.leaseDurationSeconds,
      detail: "must be greater than 0",
    }));
  }
  if (spec.leaseTransitions !== undefined && spec.leaseTransitions < 0) {
    errs.push(invalid(path.child("leaseTransitions"), {
      value: spec.leaseTransitions,
      detail: "must be greater than or equal to 0",
    }));
  }
  if (spec.strategy !== undefined) {
    // Upstream appends "strategy" to the path twice.
    const p = path.child("strategy").child("strategy");
    const strategy = spec.strategy;
    if (!strategy.includes("/")) {
      if (!(COORDINATED_LEASE_STRATEGIES as readonly string[]).includes(strategy)) {
        errs.push(notSupported(p, { value: strategy, supported: COORDINATED_LEASE_STRATEGIES }));
      }
    } else {
      for (const detail of isQualifiedName(strategy)) {
        errs.push(invalid(p, { value: strategy, detail }));
      }
    }
  }
  if (spec.preferredHolder && !spec.strategy) {
    errs.push(
      forbidden(path.child("preferredHolder"), "may only be specified if `strategy` is defined"),
    );
  }
  return errs;
}

function usesCoordinatedFields(lease: Lease | undefined): boolean {
  return lease?.spec?.strategy !== undefined || lease?.spec?.preferredHolder !== undefined;
}

function dropCoordinatedFields(lease: Lease): void {
  if (lease.spec === undefined) return;
  delete lease.spec.strategy;
  delete lease.spec.preferredHolder;
}

/** A Lease strategy for the given feature gates. */
export function createLeaseStrategy(options: LeaseStrategyOptions = {}): Strategy {
  const enabled = options.coordinatedLeaderElection ?? false;
  return {
    nameRule: "subdomain",
    prepareForCreate(obj: KubeObject): void {
      if (!enabled) dropCoordinatedFields(obj as Lease);
    },
    prepareForUpdate(obj: KubeObject, old: KubeObject): void {
      if (!enabled && !usesCoordinatedFields(old as Lease)) dropCoordinatedFields(obj as Lease);
    },
    validate(obj: KubeObject): FieldError[] {
      return validateLeaseSpec((obj as Lease).spec);
    },
  };
}

/** The Lease strategy with Kubernetes 1.33's default feature gates. */
export const leaseStrategy: Strategy = createLeaseStrategy();
