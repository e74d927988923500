import type { Service, ServiceRuntime, ServiceStatus } from '@stevedore/core';
import type { Change } from './changes';
import type { Db } from './db';
import { statementCache } from './statement-cache';
import { ServiceDeploymentsRepo } from './service-deployments-repo';

interface Row {
  cluster: string;
  name: string;
  status: string;
  spec_json: string;
  runtime_json: string;
  created_at: number;
}

export interface StoredService {
  service: Service;
  runtime: ServiceRuntime;
}

const EMPTY_RUNTIME: ServiceRuntime = { events: [], rollouts: {} };

function toStored(r: Row): StoredService {
  const service = JSON.parse(r.spec_json) as Service;
  service.status = r.status as ServiceStatus;
  return { service, runtime: JSON.parse(r.runtime_json) as ServiceRuntime };
}

/**
 * Services: the spec is written by the API (`putSpec`), the runtime by the
 * orchestrator (`putRuntime`). Status moves ACTIVE -> DRAINING through the
 * API (DeleteService) and DRAINING -> INACTIVE through the orchestrator.
 */
export class ServicesRepo {
  private readonly sql: ReturnType<typeof statementCache>;
  /** Deployment history, written here in the same transaction as the service (ECS ListServiceDeployments). */
  readonly deployments: ServiceDeploymentsRepo;
  constructor(private readonly db: Db, private readonly record: (c: Change) => void) {
    this.sql = statementCache(db);
    this.deployments = new ServiceDeploymentsRepo(db);
  }

  get(cluster: string, name: string): StoredService | undefined {
    const r = this.sql('SELECT * FROM services WHERE cluster = ? AND name = ?').get(cluster, name) as Row | undefined;
    return r && toStored(r);
  }

  /** Services of a cluster by name, after `after` (paging); ListServices wants ACTIVE only. */
  listByCluster(cluster: string, opts: { status?: ServiceStatus; after?: string; limit?: number } = {}): StoredService[] {
    const rows = this
      .sql('SELECT * FROM services WHERE cluster = ? AND name > ? AND (? IS NULL OR status = ?) ORDER BY name LIMIT ?')
      .all(cluster, opts.after ?? '', opts.status ?? null, opts.status ?? null, opts.limit ?? -1) as Row[];
    return rows.map(toStored);
  }

  /**
   * Names of the cluster's DAEMON services, whatever their status: read on
   * every orchestrator turn, so without decoding every service of the cluster.
   */
  daemonNames(cluster: string): string[] {
    return (this.sql("SELECT name FROM services WHERE cluster = ? AND json_extract(spec_json, '$.schedulingStrategy') = 'DAEMON' ORDER BY name").all(cluster) as { name: string }[]).map((r) => r.name);
  }

  /** The service's schedulingStrategy (undefined once its row is gone), without decoding the service. */
  schedulingStrategyOf(cluster: string, name: string): string | undefined {
    const r = this.sql("SELECT json_extract(spec_json, '$.schedulingStrategy') AS s FROM services WHERE cluster = ? AND name = ?").get(cluster, name) as { s: string | null } | undefined;
    return r?.s ?? undefined;
  }

  /** Every service the orchestrator must look after (ACTIVE or DRAINING), across clusters. */
  listReconcilable(): { cluster: string; name: string }[] {
    return this.sql("SELECT cluster, name FROM services WHERE status IN ('ACTIVE', 'DRAINING') ORDER BY cluster, name").all() as {
      cluster: string;
      name: string;
    }[];
  }

  /**
   * The services the load balancer role looks after (ACTIVE or DRAINING,
   * with load balancers), in listReconcilable's order. Read on every one of
   * its passes, which wake on any service task change: decoding every
   * service to find the few with load balancers was a tenth of the control
   * plane's thread during a large scale-out. The spec is always written by
   * JSON.stringify, so a service with load balancers holds this exact text;
   * the text search only narrows, the decoded spec decides.
   */
  listWithLoadBalancers(): Service[] {
    const rows = this
      .sql(`SELECT * FROM services WHERE status IN ('ACTIVE', 'DRAINING') AND instr(spec_json, '"loadBalancers":[{') > 0 ORDER BY cluster, name`)
      .all() as Row[];
    return rows.map((r) => toStored(r).service).filter((s) => (s.loadBalancers?.length ?? 0) > 0);
  }

  countActive(cluster: string): number {
    return (this.sql("SELECT COUNT(*) AS n FROM services WHERE cluster = ? AND status = 'ACTIVE'").get(cluster) as { n: number }).n;
  }

  countNotInactive(cluster: string): number {
    return (this.sql("SELECT COUNT(*) AS n FROM services WHERE cluster = ? AND status != 'INACTIVE'").get(cluster) as { n: number }).n;
  }

  /** A new service (or a new incarnation of an INACTIVE name): spec and a fresh runtime. */
  create(s: Service): void {
    const before = this.get(s.clusterName, s.name);
    if (before && before.service.status === 'INACTIVE') this.deployments.forget(s.clusterName, s.name);
    this
      .sql(
        `INSERT INTO services(cluster, name, status, spec_json, runtime_json, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(cluster, name) DO UPDATE SET status = excluded.status, spec_json = excluded.spec_json,
           runtime_json = excluded.runtime_json, created_at = excluded.created_at`,
      )
      .run(s.clusterName, s.name, s.status, JSON.stringify(s), JSON.stringify(EMPTY_RUNTIME), s.createdAt);
    this.deployments.record(s);
    this.record({ kind: 'service', cluster: s.clusterName, service: s.name });
  }

  /** API writes: the user's spec and the ACTIVE -> DRAINING move. */
  putSpec(s: Service): void {
    this.sql('UPDATE services SET status = ?, spec_json = ? WHERE cluster = ? AND name = ?').run(s.status, JSON.stringify(s), s.clusterName, s.name);
    this.deployments.record(s);
    this.record({ kind: 'service', cluster: s.clusterName, service: s.name });
  }

  /** Something the reconciler reads beside the spec changed (task scale-in protection): only a change event. */
  touch(cluster: string, name: string): void {
    this.record({ kind: 'service', cluster, service: name });
  }

  /** Orchestrator writes: events, rollout states, DAEMON desired count. No change event: nothing needs to react to it. */
  putRuntime(cluster: string, name: string, runtime: ServiceRuntime): void {
    this.sql('UPDATE services SET runtime_json = ? WHERE cluster = ? AND name = ?').run(JSON.stringify(runtime), cluster, name);
    this.deployments.rollouts(cluster, name, runtime.rollouts);
  }

  /** Orchestrator: a DRAINING service whose tasks are all gone. */
  markInactive(cluster: string, name: string, runtime: ServiceRuntime): void {
    this
      .sql("UPDATE services SET status = 'INACTIVE', runtime_json = ? WHERE cluster = ? AND name = ? AND status = 'DRAINING'")
      .run(JSON.stringify(runtime), cluster, name);
    this.deployments.rollouts(cluster, name, runtime.rollouts);
    this.record({ kind: 'service', cluster, service: name });
  }
}
