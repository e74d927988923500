import type { RegisteredTarget, TargetHealthObservation, TargetHealthReason, TaskDrain } from '@stevedore/core';
import type { Change } from './changes';
import type { Db } from './db';
import { statementCache } from './statement-cache';

interface TargetRow {
  target_group_arn: string;
  id: string;
  port: number;
  registration_id: string;
  task_id: string | null;
  cluster: string | null;
  service: string | null;
  state: string;
  registered_at: number;
  draining_since: number | null;
  draining_until: number | null;
}

interface HealthRow {
  target_group_arn: string;
  id: string;
  port: number;
  reporter_instance_id: string;
  registration_id: string;
  state: string;
  reason: string | null;
  description: string | null;
  requests: number;
  errors: number;
  response_time_ms: number;
  observed_at: number;
}

export interface LoadBalancerHostStatus {
  loadBalancerArn: string;
  instanceId: string;
  configVersion: string;
  state: 'active' | 'failed';
  reason?: string;
  updatedAt: number;
}

function toTarget(r: TargetRow): RegisteredTarget {
  const t: RegisteredTarget = { targetGroupArn: r.target_group_arn, id: r.id, port: r.port, registrationId: r.registration_id, state: r.state as RegisteredTarget['state'], registeredAt: r.registered_at };
  if (r.task_id !== null) t.taskId = r.task_id;
  if (r.cluster !== null) t.cluster = r.cluster;
  if (r.service !== null) t.serviceName = r.service;
  if (r.draining_since !== null) t.drainingSince = r.draining_since;
  if (r.draining_until !== null) t.drainingUntil = r.draining_until;
  return t;
}

function toObservation(r: HealthRow): TargetHealthObservation {
  const o: TargetHealthObservation = {
    targetGroupArn: r.target_group_arn,
    id: r.id,
    port: r.port,
    registrationId: r.registration_id,
    reporterInstanceId: r.reporter_instance_id,
    state: r.state as TargetHealthObservation['state'],
    requests: r.requests,
    errors: r.errors,
    observedAt: r.observed_at,
  };
  if (r.response_time_ms > 0) o.responseTimeMs = r.response_time_ms;
  if (r.reason !== null) o.reason = r.reason as TargetHealthReason;
  if (r.description !== null) o.description = r.description;
  return o;
}

/**
 * Registered targets (the API for manual ones, the load balancer role for
 * service ones), task drains (the role) and what load-balancer hosts report
 * (the dispatcher). Target writes are configuration for the hosts; a drain
 * write is news about its task (the dispatcher re-sends its assignment);
 * a health state change is news about the target's service.
 */
export class TargetsRepo {
  private readonly stmt: ReturnType<typeof statementCache>;

  constructor(private readonly db: Db, private readonly record: (c: Change) => void) {
    this.stmt = statementCache(db);
  }

  targetsOf(targetGroupArn: string): RegisteredTarget[] {
    return (this.stmt('SELECT * FROM targets WHERE target_group_arn = ? ORDER BY registered_at, id, port').all(targetGroupArn) as TargetRow[]).map(toTarget);
  }

  all(): RegisteredTarget[] {
    return (this.stmt('SELECT * FROM targets ORDER BY target_group_arn, registered_at').all() as TargetRow[]).map(toTarget);
  }

  ofTasks(taskIds: string[]): RegisteredTarget[] {
    if (taskIds.length === 0) return [];
    const out: RegisteredTarget[] = [];
    for (let k = 0; k < taskIds.length; k += 500) {
      const chunk = taskIds.slice(k, k + 500);
      out.push(...(this.stmt(`SELECT * FROM targets WHERE task_id IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as TargetRow[]).map(toTarget));
    }
    return out;
  }

  get(targetGroupArn: string, id: string, port: number): RegisteredTarget | undefined {
    const r = this.stmt('SELECT * FROM targets WHERE target_group_arn = ? AND id = ? AND port = ?').get(targetGroupArn, id, port) as TargetRow | undefined;
    return r && toTarget(r);
  }

  put(t: RegisteredTarget): void {
    this.stmt(
      `INSERT OR REPLACE INTO targets(target_group_arn, id, port, registration_id, task_id, cluster, service, state, registered_at, draining_since, draining_until)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(t.targetGroupArn, t.id, t.port, t.registrationId, t.taskId ?? null, t.cluster ?? null, t.serviceName ?? null, t.state, t.registeredAt, t.drainingSince ?? null, t.drainingUntil ?? null);
    this.record({ kind: 'load-balancer-config' });
  }

  delete(t: Pick<RegisteredTarget, 'targetGroupArn' | 'id' | 'port'>): void {
    this.stmt('DELETE FROM targets WHERE target_group_arn = ? AND id = ? AND port = ?').run(t.targetGroupArn, t.id, t.port);
    this.stmt('DELETE FROM target_health WHERE target_group_arn = ? AND id = ? AND port = ?').run(t.targetGroupArn, t.id, t.port);
    this.record({ kind: 'load-balancer-config' });
  }

  drainsOf(taskIds: string[]): Map<string, TaskDrain> {
    const out = new Map<string, TaskDrain>();
    for (let k = 0; k < taskIds.length; k += 500) {
      const chunk = taskIds.slice(k, k + 500);
      const rows = this.stmt(`SELECT * FROM task_drains WHERE task_id IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as {
        task_id: string;
        state: string;
        registered_at: number;
        draining_until: number | null;
      }[];
      for (const r of rows) {
        const d: TaskDrain = { taskId: r.task_id, state: r.state as TaskDrain['state'], registeredAt: r.registered_at };
        if (r.draining_until !== null) d.drainingUntil = r.draining_until;
        out.set(r.task_id, d);
      }
    }
    return out;
  }

  /** Cheap guard for the dispatcher's hot path: no drain records, no held stops. */
  anyDrains(): boolean {
    return (this.stmt('SELECT EXISTS(SELECT 1 FROM task_drains) AS x').get() as { x: number }).x === 1;
  }

  drainOf(taskId: string): TaskDrain | undefined {
    return this.drainsOf([taskId]).get(taskId);
  }

  allDrainTaskIds(): string[] {
    return (this.stmt('SELECT task_id FROM task_drains').all() as { task_id: string }[]).map((r) => r.task_id);
  }

  /** The task's assignment may change (a held stop released): tell its session. */
  putDrain(d: TaskDrain, task: { clusterName: string; id: string; containerInstanceId?: string }): void {
    this.stmt('INSERT OR REPLACE INTO task_drains(task_id, state, registered_at, draining_until) VALUES (?, ?, ?, ?)').run(d.taskId, d.state, d.registeredAt, d.drainingUntil ?? null);
    const c: Change = { kind: 'task', cluster: task.clusterName, taskId: task.id };
    if (task.containerInstanceId) c.instanceId = task.containerInstanceId;
    this.record(c);
  }

  deleteDrain(taskId: string): void {
    this.stmt('DELETE FROM task_drains WHERE task_id = ?').run(taskId);
  }

  health(targetGroupArn?: string): TargetHealthObservation[] {
    const rows = targetGroupArn
      ? (this.stmt('SELECT * FROM target_health WHERE target_group_arn = ?').all(targetGroupArn) as HealthRow[])
      : (this.stmt('SELECT * FROM target_health').all() as HealthRow[]);
    return rows.map(toObservation);
  }

  /**
   * A load-balancer host's complete report replaces what it said before.
   * Counters alone are no news; a state change wakes the load balancer role
   * and, for a service's target, the orchestrator (deployments gate on it).
   */
  replaceHealth(reporterInstanceId: string, observations: TargetHealthObservation[]): void {
    const before = new Map((this.stmt('SELECT * FROM target_health WHERE reporter_instance_id = ?').all(reporterInstanceId) as HealthRow[]).map((r) => [`${r.target_group_arn}\u0000${r.id}\u0000${r.port}`, r]));
    this.stmt('DELETE FROM target_health WHERE reporter_instance_id = ?').run(reporterInstanceId);
    const ins = this.stmt(
      `INSERT OR REPLACE INTO target_health(target_group_arn, id, port, reporter_instance_id, registration_id, state, reason, description, requests, errors, response_time_ms, observed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    let news = before.size !== observations.length;
    const services = new Map<string, Change>();
    for (const o of observations) {
      ins.run(o.targetGroupArn, o.id, o.port, reporterInstanceId, o.registrationId, o.state, o.reason ?? null, o.description ?? null, o.requests, o.errors, o.responseTimeMs ?? 0, o.observedAt);
      const prev = before.get(`${o.targetGroupArn}\u0000${o.id}\u0000${o.port}`);
      if (prev && prev.state === o.state && prev.registration_id === o.registrationId && prev.reason === (o.reason ?? null)) continue;
      news = true;
      const t = this.get(o.targetGroupArn, o.id, o.port);
      if (t?.cluster && t.serviceName) services.set(`${t.cluster}\u0000${t.serviceName}`, { kind: 'service', cluster: t.cluster, service: t.serviceName });
    }
    if (news) this.record({ kind: 'target-health' });
    for (const c of services.values()) this.record(c);
  }

  putStatuses(instanceId: string, statuses: LoadBalancerHostStatus[]): void {
    this.stmt('DELETE FROM load_balancer_status WHERE instance_id = ?').run(instanceId);
    const ins = this.stmt('INSERT OR REPLACE INTO load_balancer_status(load_balancer_arn, instance_id, config_version, state, reason, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
    for (const s of statuses) ins.run(s.loadBalancerArn, instanceId, s.configVersion, s.state, s.reason ?? null, s.updatedAt);
  }

  statusesOf(loadBalancerArn: string): LoadBalancerHostStatus[] {
    const rows = this.stmt('SELECT * FROM load_balancer_status WHERE load_balancer_arn = ? ORDER BY instance_id').all(loadBalancerArn) as {
      load_balancer_arn: string;
      instance_id: string;
      config_version: string;
      state: string;
      reason: string | null;
      updated_at: number;
    }[];
    return rows.map((r) => {
      const s: LoadBalancerHostStatus = { loadBalancerArn: r.load_balancer_arn, instanceId: r.instance_id, configVersion: r.config_version, state: r.state as 'active' | 'failed', updatedAt: r.updated_at };
      if (r.reason !== null) s.reason = r.reason;
      return s;
    });
  }

  deleteStatuses(loadBalancerArn: string): void {
    this.stmt('DELETE FROM load_balancer_status WHERE load_balancer_arn = ?').run(loadBalancerArn);
  }
}
