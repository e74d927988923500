import type { ContainerReport, ContainerStatus, HealthStatus, TaskAssignment, TaskReport, TaskSecrets, TaskStatus, TaskStopCode } from '@stevedore/core';
import type { WireAssignment, WireTaskStatus } from './wire-types';

/** Core <-> wire conversions, in one place for both ends of the channel. */

export function toWireAssignment(a: TaskAssignment): WireAssignment {
  return { task_arn: a.taskArn, version: a.version, spec_json: JSON.stringify(a) };
}

export function fromWireAssignment(w: WireAssignment): TaskAssignment {
  return JSON.parse(w.spec_json) as TaskAssignment;
}

/** Secret values travel in their own fields, never in spec_json (which the agent journals). */
export function withWireSecrets(w: WireAssignment, s: TaskSecrets): WireAssignment {
  return {
    ...w,
    secrets: s.environment.map((e) => ({ container_name: e.container, name: e.name, value: e.value })),
    registry_credentials: s.registryAuth.map((r) => ({ container_name: r.container, username: r.username, password: r.password })),
    secrets_error: s.error ?? '',
    environment_file_variables: (s.environmentFiles ?? []).map((e) => ({ container_name: e.container, name: e.name, value: e.value })),
  };
}

/** undefined when the assignment carries no secret field at all. */
export function secretsOfWire(w: WireAssignment): TaskSecrets | undefined {
  const env = w.secrets ?? [];
  const auth = w.registry_credentials ?? [];
  const files = w.environment_file_variables ?? [];
  if (env.length === 0 && auth.length === 0 && files.length === 0 && !w.secrets_error) return undefined;
  const out: TaskSecrets = {
    environment: env.map((e) => ({ container: e.container_name, name: e.name, value: e.value })),
    registryAuth: auth.map((r) => ({ container: r.container_name, username: r.username, password: r.password })),
  };
  if (files.length > 0) out.environmentFiles = files.map((e) => ({ container: e.container_name, name: e.name, value: e.value }));
  if (w.secrets_error) out.error = w.secrets_error;
  return out;
}

export function toWireTaskStatus(r: TaskReport): WireTaskStatus {
  return {
    task_arn: r.taskArn,
    last_status: r.lastStatus,
    containers: r.containers.map((c) => ({
      name: c.name,
      status: c.status,
      runtime_id: c.runtimeId ?? '',
      exit_code: c.exitCode ?? null,
      reason: c.reason ?? '',
      network_bindings: c.networkBindings.map((b) => ({ bind_ip: b.bindIP, container_port: b.containerPort, host_port: b.hostPort, protocol: b.protocol })),
      health_status: c.healthStatus,
    })),
    stop_code: r.stopCode ?? '',
    stopped_reason: r.stoppedReason ?? '',
    pull_started_at: r.pullStartedAt ?? 0,
    pull_stopped_at: r.pullStoppedAt ?? 0,
    started_at: r.startedAt ?? 0,
    execution_stopped_at: r.executionStoppedAt ?? 0,
    stopped_at: r.stoppedAt ?? 0,
  };
}

/** Trusts nothing: the caller validates statuses with the core state machines. */
export function fromWireTaskStatus(w: WireTaskStatus): TaskReport {
  const r: TaskReport = {
    taskArn: w.task_arn,
    lastStatus: w.last_status as TaskStatus,
    containers: w.containers.map((c) => {
      const cr: ContainerReport = {
        name: c.name,
        status: c.status as ContainerStatus,
        networkBindings: c.network_bindings.map((b) => ({
          bindIP: b.bind_ip,
          containerPort: b.container_port,
          hostPort: b.host_port,
          protocol: b.protocol === 'udp' ? 'udp' : 'tcp',
        })),
        healthStatus: (c.health_status || 'UNKNOWN') as HealthStatus,
      };
      if (c.runtime_id) cr.runtimeId = c.runtime_id;
      if (c.exit_code !== undefined && c.exit_code !== null) cr.exitCode = c.exit_code;
      if (c.reason) cr.reason = c.reason;
      return cr;
    }),
  };
  if (w.stop_code) r.stopCode = w.stop_code as TaskStopCode;
  if (w.stopped_reason) r.stoppedReason = w.stopped_reason;
  if (w.pull_started_at) r.pullStartedAt = w.pull_started_at;
  if (w.pull_stopped_at) r.pullStoppedAt = w.pull_stopped_at;
  if (w.started_at) r.startedAt = w.started_at;
  if (w.execution_stopped_at) r.executionStoppedAt = w.execution_stopped_at;
  if (w.stopped_at) r.stoppedAt = w.stopped_at;
  return r;
}
