import type { Attribute, ContainerInstance, ContainerInstanceStatus, InstanceResources, Tag } from '@stevedore/core';
import type { Change } from './changes';
import type { Db } from './db';
import { statementCache } from './statement-cache';
import type { ClusterState } from './cluster-state';

interface Row {
  id: string;
  cluster: string;
  ec2_instance_id: string;
  host_ip: string;
  status: string;
  status_reason: string | null;
  agent_connected: number;
  resources_json: string;
  attributes_json: string;
  version_info_json: string;
  registered_at: number;
  last_heartbeat_at: number | null;
  version: number;
}

const toInstance = (r: Row): ContainerInstance => {
  const i: ContainerInstance = {
    id: r.id,
    clusterName: r.cluster,
    ec2InstanceId: r.ec2_instance_id,
    hostIp: r.host_ip,
    status: r.status as ContainerInstanceStatus,
    agentConnected: r.agent_connected === 1,
    registeredResources: JSON.parse(r.resources_json) as InstanceResources,
    attributes: JSON.parse(r.attributes_json) as Attribute[],
    versionInfo: JSON.parse(r.version_info_json) as ContainerInstance['versionInfo'],
    registeredAt: r.registered_at,
    version: r.version,
  };
  if (r.status_reason !== null) i.statusReason = r.status_reason;
  if (r.last_heartbeat_at !== null) i.lastHeartbeatAt = r.last_heartbeat_at;
  return i;
};

export class InstancesRepo {
  private readonly sql: ReturnType<typeof statementCache>;
  /**
   * Counts writes of an INACTIVE instance (deregistration): the dispatcher's
   * per-connection identity cache re-checks its instances when it moves. In
   * memory, bumped with the write itself (a rollback only costs a re-check).
   */
  deregistrations = 0;
  constructor(
    private readonly db: Db,
    private readonly record: (c: Change) => void,
    private readonly state?: ClusterState,
  ) {
    this.sql = statementCache(db);
  }

  get(id: string): ContainerInstance | undefined {
    const r = this.sql('SELECT * FROM container_instances WHERE id = ?').get(id) as Row | undefined;
    return r && toInstance(r);
  }

  /** Whether the instance is registered (any status), without decoding it: checked on every agent report. */
  exists(id: string): boolean {
    return this.sql('SELECT 1 FROM container_instances WHERE id = ?').get(id) !== undefined;
  }

  /** Non-INACTIVE instances of a cluster, ordered by id. */
  listByCluster(cluster: string, opts: { status?: ContainerInstanceStatus; after?: string; limit?: number } = {}): ContainerInstance[] {
    const rows = this
      .sql(
        `SELECT * FROM container_instances WHERE cluster = ? AND id > ?
         AND (? IS NULL AND status != 'INACTIVE' OR status = ?) ORDER BY id LIMIT ?`,
      )
      .all(cluster, opts.after ?? '', opts.status ?? null, opts.status ?? null, opts.limit ?? -1) as Row[];
    return rows.map(toInstance);
  }

  countActive(cluster: string): number {
    const r = this
      .sql("SELECT COUNT(*) AS n FROM container_instances WHERE cluster = ? AND status IN ('ACTIVE', 'DRAINING')")
      .get(cluster) as { n: number };
    return r.n;
  }

  connected(): ContainerInstance[] {
    return (this.sql('SELECT * FROM container_instances WHERE agent_connected = 1').all() as Row[]).map(toInstance);
  }

  put(i: ContainerInstance): void {
    this
      .sql(
        `INSERT INTO container_instances(id, cluster, ec2_instance_id, host_ip, status, status_reason, agent_connected,
           resources_json, attributes_json, version_info_json, registered_at, last_heartbeat_at, version)
         VALUES (@id, @cluster, @ec2, @hostIp, @status, @statusReason, @connected, @resources, @attributes, @versionInfo, @registeredAt, @hb, @version)
         ON CONFLICT(id) DO UPDATE SET cluster = excluded.cluster, ec2_instance_id = excluded.ec2_instance_id, host_ip = excluded.host_ip,
           status = excluded.status, status_reason = excluded.status_reason, agent_connected = excluded.agent_connected,
           resources_json = excluded.resources_json, attributes_json = excluded.attributes_json,
           version_info_json = excluded.version_info_json, registered_at = excluded.registered_at,
           last_heartbeat_at = excluded.last_heartbeat_at, version = excluded.version`,
      )
      .run({
        id: i.id,
        cluster: i.clusterName,
        ec2: i.ec2InstanceId,
        hostIp: i.hostIp,
        status: i.status,
        statusReason: i.statusReason ?? null,
        connected: i.agentConnected ? 1 : 0,
        resources: JSON.stringify(i.registeredResources),
        attributes: JSON.stringify(i.attributes),
        versionInfo: JSON.stringify(i.versionInfo),
        registeredAt: i.registeredAt,
        hb: i.lastHeartbeatAt ?? null,
        version: i.version,
      });
    this.state?.instanceWritten(i);
    if (i.status === 'INACTIVE') this.deregistrations++;
    this.record({ kind: 'instance', cluster: i.clusterName, instanceId: i.id });
  }

  /**
   * An agent's session opened (`connected`) or ended. With several replicas
   * (docs/design/high-availability.md) `replica` names the one holding the
   * session: a session that opens records it, and a replica ending a session
   * marks the instance disconnected only if the session is still its own
   * (the agent may already have moved to another replica).
   */
  setConnected(id: string, connected: boolean, at: number, replica?: string): void {
    const i = this.get(id);
    if (!i) return;
    const holder = this.sessionReplica(id);
    if (connected) {
      if (i.agentConnected && (replica === undefined || holder === replica)) return;
      this.sql('UPDATE container_instances SET agent_connected = 1, session_replica = ?, last_heartbeat_at = ?, version = version + 1 WHERE id = ?').run(replica ?? null, at, id);
    } else {
      if (!i.agentConnected) return;
      if (replica !== undefined && holder !== null && holder !== replica) return;
      this.sql('UPDATE container_instances SET agent_connected = 0, session_replica = NULL, last_heartbeat_at = ?, version = version + 1 WHERE id = ?').run(at, id);
    }
    this.state?.instanceWritten({ ...i, agentConnected: connected, lastHeartbeatAt: at, version: i.version + 1 });
    this.record({ kind: 'instance', cluster: i.clusterName, instanceId: id });
  }

  /** The replica holding the instance's agent session (null: none recorded). */
  sessionReplica(id: string): string | null {
    const r = this.sql('SELECT session_replica FROM container_instances WHERE id = ?').get(id) as { session_replica: string | null } | undefined;
    return r?.session_replica ?? null;
  }

  /** Connected instances and the replica holding each session. */
  connectedSessions(): Array<{ id: string; replica: string | null }> {
    return (this.sql('SELECT id, session_replica FROM container_instances WHERE agent_connected = 1').all() as Array<{ id: string; session_replica: string | null }>).map((r) => ({ id: r.id, replica: r.session_replica }));
  }

  /** The instance's tags (TagResource): kept beside the row the agent's registration writes. */
  tags(id: string): Tag[] {
    const r = this.sql('SELECT tags_json FROM container_instances WHERE id = ?').get(id) as { tags_json: string } | undefined;
    return r ? (JSON.parse(r.tags_json) as Tag[]) : [];
  }

  setTags(id: string, tags: Tag[]): void {
    this.sql('UPDATE container_instances SET tags_json = ? WHERE id = ?').run(JSON.stringify(tags), id);
  }

  /** Heartbeats are frequent: no change event, no version bump. */
  touchHeartbeat(id: string, at: number): void {
    this.sql('UPDATE container_instances SET last_heartbeat_at = ? WHERE id = ?').run(at, id);
    this.state?.heartbeat(id, at);
  }
}
