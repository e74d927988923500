import { TARGET_HEALTH_STATES, type LoadBalancerHostSet, type TargetHealthObservation, type TargetHealthReason } from '@stevedore/core/host';
import type { WireLoadBalancerSet, WireLoadBalancerStatus, WireTargetHealthReport } from './wire-types';

/** Core <-> wire conversions of the load balancer fields, in one place for both ends. */

export function toWireLoadBalancerSet(set: LoadBalancerHostSet): WireLoadBalancerSet {
  return { version: set.version, spec_json: JSON.stringify(set) };
}

/** Undefined when the field is absent (unchanged) or unreadable (the caller logs it). */
export function fromWireLoadBalancerSet(w: WireLoadBalancerSet | null | undefined): LoadBalancerHostSet | undefined {
  if (!w || !w.spec_json) return undefined;
  try {
    const set = JSON.parse(w.spec_json) as LoadBalancerHostSet;
    if (!set || !Array.isArray(set.loadBalancers)) return undefined;
    return { ...set, version: w.version || set.version };
  } catch {
    return undefined;
  }
}

export interface LoadBalancerStatusReport {
  loadBalancerArn: string;
  configVersion: string;
  state: 'active' | 'failed';
  reason?: string;
}

export function toWireTargetHealth(o: TargetHealthObservation): WireTargetHealthReport {
  return {
    target_group_arn: o.targetGroupArn,
    target_id: o.id,
    port: o.port,
    registration_id: o.registrationId,
    state: o.state,
    reason: o.reason ?? '',
    description: o.description ?? '',
    requests: o.requests,
    errors: o.errors,
    response_time_ms: o.responseTimeMs ?? 0,
  };
}

/** The reporter and the time are the control plane's: it never trusts the agent with whose report this is. */
export function fromWireTargetHealth(w: WireTargetHealthReport, reporterInstanceId: string, observedAt: number): TargetHealthObservation | undefined {
  const state = w.state as TargetHealthObservation['state'];
  if (!(['initial', 'healthy', 'unhealthy', 'draining'] as string[]).includes(state) || !(TARGET_HEALTH_STATES as readonly string[]).includes(state)) return undefined;
  const o: TargetHealthObservation = {
    targetGroupArn: w.target_group_arn,
    id: w.target_id,
    port: w.port,
    registrationId: w.registration_id,
    reporterInstanceId,
    state,
    requests: Number(w.requests) || 0,
    errors: Number(w.errors) || 0,
    observedAt,
  };
  const rt = Number(w.response_time_ms);
  // An average of HAProxy's last requests: anything beyond a day is not a response time.
  if (Number.isFinite(rt) && rt > 0 && rt < 86_400_000) o.responseTimeMs = Math.round(rt);
  if (w.reason) o.reason = w.reason as TargetHealthReason;
  if (w.description) o.description = w.description.slice(0, 1024);
  return o;
}

export function toWireLoadBalancerStatus(s: LoadBalancerStatusReport): WireLoadBalancerStatus {
  return { load_balancer_arn: s.loadBalancerArn, config_version: s.configVersion, state: s.state, reason: s.reason ?? '' };
}

export function fromWireLoadBalancerStatus(w: WireLoadBalancerStatus): LoadBalancerStatusReport | undefined {
  if (w.state !== 'active' && w.state !== 'failed') return undefined;
  const s: LoadBalancerStatusReport = { loadBalancerArn: w.load_balancer_arn, configVersion: w.config_version, state: w.state };
  if (w.reason) s.reason = w.reason.slice(0, 1024);
  return s;
}
