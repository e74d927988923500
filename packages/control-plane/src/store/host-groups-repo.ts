import type { HostGroup, HostGroupActivity, HostGroupHost, HostGroupSpec, HostLifecycleState } from '@stevedore/core';
import type { Change } from './changes';
import type { Db } from './db';
import { statementCache } from './statement-cache';

interface GroupRow { name: string; cluster: string; uuid: string; status: string; spec_json: string; desired_capacity: number; created_at: number }
interface HostRow {
  id: string; group_name: string; cluster: string; lifecycle_state: string; status_reason: string | null; provider_id: string | null; host_ip: string | null;
  join_token_id: string | null; container_instance_id: string | null; attempts: number; launched_at: number; created_at: number | null; terminated_at: number | null;
}
interface ActivityRow {
  id: string; group_name: string; host_id: string | null; description: string; cause: string; status_code: string; status_message: string | null; details: string | null;
  start_time: number; end_time: number | null;
}

const toGroup = (r: GroupRow): HostGroup => ({
  name: r.name, cluster: r.cluster, uuid: r.uuid, status: r.status as HostGroup['status'], spec: JSON.parse(r.spec_json) as HostGroupSpec, desiredCapacity: r.desired_capacity, createdAt: r.created_at,
});

const toHost = (r: HostRow): HostGroupHost => ({
  id: r.id, groupName: r.group_name, cluster: r.cluster, lifecycleState: r.lifecycle_state as HostLifecycleState, attempts: r.attempts, launchedAt: r.launched_at,
  ...(r.status_reason !== null ? { statusReason: r.status_reason } : {}),
  ...(r.provider_id !== null ? { providerId: r.provider_id } : {}),
  ...(r.host_ip !== null ? { hostIp: r.host_ip } : {}),
  ...(r.join_token_id !== null ? { joinTokenId: r.join_token_id } : {}),
  ...(r.container_instance_id !== null ? { containerInstanceId: r.container_instance_id } : {}),
  ...(r.created_at !== null ? { createdAt: r.created_at } : {}),
  ...(r.terminated_at !== null ? { terminatedAt: r.terminated_at } : {}),
});

const toActivity = (r: ActivityRow): HostGroupActivity => ({
  id: r.id, groupName: r.group_name, description: r.description, cause: r.cause, statusCode: r.status_code as HostGroupActivity['statusCode'], startTime: r.start_time,
  ...(r.host_id !== null ? { hostId: r.host_id } : {}),
  ...(r.status_message !== null ? { statusMessage: r.status_message } : {}),
  ...(r.details !== null ? { details: r.details } : {}),
  ...(r.end_time !== null ? { endTime: r.end_time } : {}),
});

/** Activities kept per group: the newest, as Auto Scaling keeps six weeks. */
const ACTIVITIES_KEPT = 200;

/** Host groups, their hosts and their activities. */
export class HostGroupsRepo {
  private readonly sql: ReturnType<typeof statementCache>;
  constructor(private readonly db: Db, private readonly record: (c: Change) => void) {
    this.sql = statementCache(db);
  }

  get(name: string): HostGroup | undefined {
    const r = this.sql('SELECT * FROM host_groups WHERE name = ?').get(name) as GroupRow | undefined;
    return r && toGroup(r);
  }

  list(cluster?: string): HostGroup[] {
    const rows = this.sql('SELECT * FROM host_groups WHERE (? IS NULL OR cluster = ?) ORDER BY name').all(cluster ?? null, cluster ?? null) as GroupRow[];
    return rows.map(toGroup);
  }

  put(g: HostGroup): void {
    this.sql(
      `INSERT INTO host_groups(name, cluster, uuid, status, spec_json, desired_capacity, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET status = excluded.status, spec_json = excluded.spec_json, desired_capacity = excluded.desired_capacity`,
    ).run(g.name, g.cluster, g.uuid, g.status, JSON.stringify(g.spec), g.desiredCapacity, g.createdAt);
    this.record({ kind: 'host-group', cluster: g.cluster, group: g.name });
  }

  setDesiredCapacity(name: string, desired: number): void {
    const g = this.get(name);
    if (!g) return;
    this.sql('UPDATE host_groups SET desired_capacity = ? WHERE name = ?').run(desired, name);
    this.record({ kind: 'host-group', cluster: g.cluster, group: name });
  }

  /** The group and everything of it: once its last host is gone. */
  remove(name: string): void {
    const g = this.get(name);
    if (!g) return;
    this.sql('DELETE FROM host_group_hosts WHERE group_name = ?').run(name);
    this.sql('DELETE FROM host_group_activities WHERE group_name = ?').run(name);
    this.sql('DELETE FROM host_groups WHERE name = ?').run(name);
    this.record({ kind: 'host-group', cluster: g.cluster, group: name });
  }

  host(id: string): HostGroupHost | undefined {
    const r = this.sql('SELECT * FROM host_group_hosts WHERE id = ?').get(id) as HostRow | undefined;
    return r && toHost(r);
  }

  /** Hosts of a group; Terminated ones only with `withTerminated` (the newest 50). */
  hosts(group: string, withTerminated = false): HostGroupHost[] {
    const live = this.sql("SELECT * FROM host_group_hosts WHERE group_name = ? AND lifecycle_state != 'Terminated' ORDER BY launched_at, id").all(group) as HostRow[];
    const gone = withTerminated
      ? (this.sql("SELECT * FROM host_group_hosts WHERE group_name = ? AND lifecycle_state = 'Terminated' ORDER BY terminated_at DESC LIMIT 50").all(group) as HostRow[])
      : [];
    return [...live, ...gone].map(toHost);
  }

  /** Every host not yet Terminated, across groups: what the local provisioner re-adopts after a restart. */
  liveHosts(): HostGroupHost[] {
    return (this.sql("SELECT * FROM host_group_hosts WHERE lifecycle_state != 'Terminated' ORDER BY launched_at, id").all() as HostRow[]).map(toHost);
  }

  hostByJoinToken(tokenId: string): HostGroupHost | undefined {
    const r = this.sql('SELECT * FROM host_group_hosts WHERE join_token_id = ?').get(tokenId) as HostRow | undefined;
    return r && toHost(r);
  }

  putHost(h: HostGroupHost): void {
    this.sql(
      `INSERT INTO host_group_hosts(id, group_name, cluster, lifecycle_state, status_reason, provider_id, host_ip, join_token_id, container_instance_id, attempts, launched_at, created_at, terminated_at)
       VALUES (@id, @group, @cluster, @state, @reason, @provider, @ip, @token, @instance, @attempts, @launchedAt, @createdAt, @terminatedAt)
       ON CONFLICT(id) DO UPDATE SET lifecycle_state = excluded.lifecycle_state, status_reason = excluded.status_reason, provider_id = excluded.provider_id,
         host_ip = excluded.host_ip, join_token_id = excluded.join_token_id, container_instance_id = excluded.container_instance_id, attempts = excluded.attempts,
         created_at = excluded.created_at, terminated_at = excluded.terminated_at`,
    ).run({
      id: h.id, group: h.groupName, cluster: h.cluster, state: h.lifecycleState, reason: h.statusReason ?? null, provider: h.providerId ?? null, ip: h.hostIp ?? null,
      token: h.joinTokenId ?? null, instance: h.containerInstanceId ?? null, attempts: h.attempts, launchedAt: h.launchedAt, createdAt: h.createdAt ?? null, terminatedAt: h.terminatedAt ?? null,
    });
    this.record({ kind: 'host-group', cluster: h.cluster, group: h.groupName });
  }

  putActivity(a: HostGroupActivity): void {
    const seq = (this.sql('SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM host_group_activities').get() as { s: number }).s;
    this.sql(
      `INSERT INTO host_group_activities(id, group_name, host_id, description, cause, status_code, status_message, details, start_time, end_time, seq)
       VALUES (@id, @group, @host, @description, @cause, @status, @message, @details, @start, @end, @seq)
       ON CONFLICT(id) DO UPDATE SET status_code = excluded.status_code, status_message = excluded.status_message, details = excluded.details, end_time = excluded.end_time, description = excluded.description`,
    ).run({
      id: a.id, group: a.groupName, host: a.hostId ?? null, description: a.description, cause: a.cause, status: a.statusCode, message: a.statusMessage ?? null, details: a.details ?? null,
      start: a.startTime, end: a.endTime ?? null, seq,
    });
    this.sql(
      'DELETE FROM host_group_activities WHERE group_name = ? AND seq <= (SELECT seq FROM host_group_activities WHERE group_name = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)',
    ).run(a.groupName, a.groupName, ACTIVITIES_KEPT);
  }

  activity(id: string): HostGroupActivity | undefined {
    const r = this.sql('SELECT * FROM host_group_activities WHERE id = ?').get(id) as ActivityRow | undefined;
    return r && toActivity(r);
  }

  /** Newest first. */
  activities(group: string, limit = 100, beforeSeq?: number): (HostGroupActivity & { seq: number })[] {
    const rows = this.sql('SELECT * FROM host_group_activities WHERE group_name = ? AND seq < ? ORDER BY seq DESC LIMIT ?').all(group, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit) as (ActivityRow & { seq: number })[];
    return rows.map((r) => ({ ...toActivity(r), seq: r.seq }));
  }
}
