import { isIP } from 'node:net';
import { HEALTH_STATUSES, isContainerStatus, isTaskStatus, TASK_STOP_CODES } from '@stevedore/core';
import type { WireTaskStatus } from '@stevedore/proto';
import type { RegistrationProblem } from './registration-validation';

/**
 * What an agent may report about its tasks (UpdateTaskStatus). Reported host
 * ports become load balancer targets and reported addresses are shown by the
 * API, so they must be real ports and addresses: one bad value would make
 * every load balancer host refuse its whole configuration. Free text (stop
 * reasons from Docker errors, which can be long) is cut, not refused.
 */
export const REPORT_LIMITS = {
  /** ECS allows 10 containers per task; a little room for sidecars the agent adds. */
  maxContainers: 100,
  maxBindings: 200,
  maxText: 255,
  /** Stop reasons and container reasons are kept up to this length. */
  maxReason: 1024,
} as const;

const PRINTABLE = /^[\x20-\x7e]*$/;

class Refusal extends Error {
  constructor(readonly problem: RegistrationProblem) {
    super(problem.message);
  }
}

function refuse(field: string, message: string): never {
  throw new Refusal({ field, message: `${field}: ${message}` });
}

function text(field: string, v: string, max: number = REPORT_LIMITS.maxText): void {
  if (typeof v !== 'string' || v.length > max || !PRINTABLE.test(v)) refuse(field, `must be at most ${max} printable characters`);
}

function port(field: string, v: number): void {
  if (!Number.isInteger(v) || v < 1 || v > 65535) refuse(field, `must be a port (1-65535), got ${JSON.stringify(v)}`);
}

function time(field: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) refuse(field, `must be a time in epoch milliseconds, got ${JSON.stringify(v)}`);
}

/**
 * The update, checked and with its free text cut to length, or the first
 * problem (the caller refuses the batch with INVALID_ARGUMENT naming it).
 */
export function validateTaskReport(w: WireTaskStatus, at: string): { ok: true; value: WireTaskStatus } | { ok: false; problem: RegistrationProblem } {
  try {
    text(`${at}.task_arn`, w.task_arn, 2048);
    if (!isTaskStatus(w.last_status)) refuse(`${at}.last_status`, `${JSON.stringify(String(w.last_status).slice(0, 32))} is not a task status`);
    if (w.stop_code && !(TASK_STOP_CODES as readonly string[]).includes(w.stop_code)) refuse(`${at}.stop_code`, `${JSON.stringify(w.stop_code.slice(0, 64))} is not an ECS stop code`);
    for (const k of ['pull_started_at', 'pull_stopped_at', 'started_at', 'execution_stopped_at', 'stopped_at'] as const) time(`${at}.${k}`, w[k] ?? 0);
    if ((w.containers ?? []).length > REPORT_LIMITS.maxContainers) refuse(`${at}.containers`, `at most ${REPORT_LIMITS.maxContainers} containers`);
    const containers = (w.containers ?? []).map((c, i) => {
      const cf = `${at}.containers[${i}]`;
      text(`${cf}.name`, c.name);
      text(`${cf}.runtime_id`, c.runtime_id ?? '');
      if (!isContainerStatus(c.status)) refuse(`${cf}.status`, `${JSON.stringify(String(c.status).slice(0, 32))} is not a container status`);
      if (c.health_status && !(HEALTH_STATUSES as readonly string[]).includes(c.health_status)) refuse(`${cf}.health_status`, `must be one of ${HEALTH_STATUSES.join(', ')}`);
      if (c.exit_code !== undefined && c.exit_code !== null && (!Number.isInteger(c.exit_code) || c.exit_code < -(2 ** 31) || c.exit_code >= 2 ** 31)) refuse(`${cf}.exit_code`, 'must be a 32-bit integer');
      if ((c.network_bindings ?? []).length > REPORT_LIMITS.maxBindings) refuse(`${cf}.network_bindings`, `at most ${REPORT_LIMITS.maxBindings} bindings`);
      (c.network_bindings ?? []).forEach((b, j) => {
        const bf = `${cf}.network_bindings[${j}]`;
        if (isIP(b.bind_ip) === 0) refuse(`${bf}.bind_ip`, `${JSON.stringify(String(b.bind_ip).slice(0, 64))} is not an IP address`);
        port(`${bf}.container_port`, b.container_port);
        port(`${bf}.host_port`, b.host_port);
        if (b.protocol !== 'tcp' && b.protocol !== 'udp') refuse(`${bf}.protocol`, 'must be tcp or udp');
      });
      return { ...c, reason: (c.reason ?? '').slice(0, REPORT_LIMITS.maxReason) };
    });
    return { ok: true, value: { ...w, containers, stopped_reason: (w.stopped_reason ?? '').slice(0, REPORT_LIMITS.maxReason) } };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, problem: e.problem };
    throw e;
  }
}
