import { StevedoreError } from '../errors';
import type { ElbProtocol, TargetGroupHealthCheck, TargetGroupAttributes } from '../model/load-balancer';

export function validationError(message: string, field?: string): StevedoreError {
  return new StevedoreError('ValidationError', message, field === undefined ? {} : { field });
}

/**
 * ELB's defaults: HTTP target groups as an ALB's (30 s, 5 s, 5 healthy, 2
 * unhealthy, `/`, 200); TCP target groups as an NLB's (TCP checks, 10 s timeout).
 */
export function defaultHealthCheck(protocol: ElbProtocol): TargetGroupHealthCheck {
  // GENEVE (appliances): TCP checks as ELB, but on the traffic port, not port 80: an
  // appliance task's port is the one its container publishes.
  if (protocol === 'GENEVE') return { protocol: 'TCP', port: 'traffic-port', path: '/', intervalSeconds: 10, timeoutSeconds: 5, healthyThresholdCount: 5, unhealthyThresholdCount: 2, matcher: '200-399' };
  return protocol === 'HTTP'
    ? { protocol: 'HTTP', port: 'traffic-port', path: '/', intervalSeconds: 30, timeoutSeconds: 5, healthyThresholdCount: 5, unhealthyThresholdCount: 2, matcher: '200' }
    : { protocol: 'TCP', port: 'traffic-port', path: '/', intervalSeconds: 30, timeoutSeconds: 10, healthyThresholdCount: 5, unhealthyThresholdCount: 2, matcher: '200-399' };
}

export const DEFAULT_TARGET_GROUP_ATTRIBUTES: TargetGroupAttributes = { deregistrationDelaySeconds: 300, slowStartSeconds: 0 };

function range(value: number, min: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < min || value > max) throw validationError(`${field} must be an integer from ${min} to ${max}.`, field);
}

/** ELB's ranges, checked on CreateTargetGroup and ModifyTargetGroup. */
export function validateHealthCheck(h: TargetGroupHealthCheck): void {
  // ELB allows 5-300 s and 2-120 s. HAProxy checks on your own hosts cost little, so
  // Stevedore also allows checks every second (docs/design/load-balancing.md).
  range(h.intervalSeconds, 1, 300, 'HealthCheckIntervalSeconds');
  range(h.timeoutSeconds, 1, 120, 'HealthCheckTimeoutSeconds');
  range(h.healthyThresholdCount, 2, 10, 'HealthyThresholdCount');
  range(h.unhealthyThresholdCount, 2, 10, 'UnhealthyThresholdCount');
  if (h.intervalSeconds > 1 ? h.timeoutSeconds >= h.intervalSeconds : h.timeoutSeconds > h.intervalSeconds) {
    throw validationError('Health check timeout must be smaller than the interval.', 'HealthCheckTimeoutSeconds');
  }
  if (h.port !== 'traffic-port') range(h.port, 1, 65535, 'HealthCheckPort');
  if (h.protocol === 'HTTP') {
    if (!isHealthCheckPath(h.path)) {
      throw validationError('HealthCheckPath must begin with a "/" and contain at most 1024 visible ASCII characters, without quotes, backslashes or #.', 'HealthCheckPath');
    }
    matcherCodes(h.matcher);
  }
}

/**
 * ELB Matcher.HttpCode: codes and ranges within 200-499, comma separated
 * (`200`, `200-299`, `200,202,301-302`). Returns the codes, ascending.
 */
/**
 * A health check path HAProxy's configuration can carry as one word: `/`, then
 * visible ASCII without quotes, backslashes or `#` (a fragment is never sent
 * anyway). The agent's renderer checks the same again before writing it.
 */
export function isHealthCheckPath(path: string): boolean {
  return /^\/[\x21-\x7e]{0,1023}$/.test(path) && !/["'\\#]/.test(path);
}

export function matcherCodes(httpCode: string): number[] {
  const codes = new Set<number>();
  const bad = () => validationError(`Matcher.HttpCode '${httpCode}' must be HTTP codes or ranges from 200 to 499, such as '200', '200-299' or '200,202'.`, 'Matcher.HttpCode');
  if (httpCode.trim() === '') throw bad();
  for (const part of httpCode.split(',')) {
    const m = /^\s*(\d{3})(?:\s*-\s*(\d{3}))?\s*$/.exec(part);
    if (!m) throw bad();
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 200 || hi > 499 || hi < lo) throw bad();
    for (let c = lo; c <= hi; c++) codes.add(c);
  }
  return [...codes].sort((a, b) => a - b);
}

export function validateAttributes(a: TargetGroupAttributes): void {
  range(a.deregistrationDelaySeconds, 0, 3600, 'deregistration_delay.timeout_seconds');
  if (a.slowStartSeconds !== 0) range(a.slowStartSeconds, 30, 900, 'slow_start.duration_seconds');
}
