import { recordedDeploymentOf, type DeploymentRollout, type RecordedDeployment, type Service } from '@stevedore/core';
import type { Db } from './db';
import { statementCache } from './statement-cache';

/** The configuration a deployment rolls out: ECS's service revision. */
export interface ServiceRevisionRecord {
  taskDefinitionArn: string;
  launchType?: string;
  capacityProviderStrategy?: Service['capacityProviderStrategy'];
  platformVersion?: string;
  loadBalancers?: Service['loadBalancers'];
  awsvpcConfiguration?: Service['awsvpcConfiguration'];
  deploymentConfiguration?: Service['deploymentConfiguration'];
  desiredCount?: number;
}

export interface StoredServiceDeployment extends RecordedDeployment {
  cluster: string;
  service: string;
  revision: ServiceRevisionRecord;
}

interface Row {
  cluster: string;
  service: string;
  id: string;
  created_at: number;
  revision_json: string;
  sources_json: string;
  rollout_json: string | null;
}

function toStored(r: Row): StoredServiceDeployment {
  const sources = JSON.parse(r.sources_json) as { sources: string[]; restores?: string };
  return {
    cluster: r.cluster,
    service: r.service,
    id: r.id,
    createdAt: r.created_at,
    sources: sources.sources,
    ...(sources.restores !== undefined ? { restores: sources.restores } : {}),
    revision: JSON.parse(r.revision_json) as ServiceRevisionRecord,
    ...(r.rollout_json ? { rollout: JSON.parse(r.rollout_json) as DeploymentRollout } : {}),
  };
}

/**
 * The history of every deployment a service had (migration 036). Written
 * only through ServicesRepo, inside the transaction of the spec or runtime
 * write it follows: `record` when the API puts a deployment into a service
 * (revision and sources, once), `rollouts` when the orchestrator writes
 * rollout states.
 */
export class ServiceDeploymentsRepo {
  private readonly sql: ReturnType<typeof statementCache>;
  constructor(db: Db) {
    this.sql = statementCache(db);
  }

  record(s: Service): void {
    for (const d of s.deployments) {
      const rec = recordedDeploymentOf(d, s.deployments);
      const revision: ServiceRevisionRecord = {
        taskDefinitionArn: d.taskDefinitionArn,
        ...(s.capacityProviderStrategy ? { capacityProviderStrategy: s.capacityProviderStrategy } : { launchType: s.launchType }),
        ...(s.platformVersion !== undefined ? { platformVersion: s.platformVersion } : {}),
        ...(s.loadBalancers?.length ? { loadBalancers: s.loadBalancers } : {}),
        ...(s.awsvpcConfiguration ? { awsvpcConfiguration: s.awsvpcConfiguration } : {}),
        deploymentConfiguration: s.deploymentConfiguration,
        desiredCount: s.desiredCount,
      };
      this
        .sql(
          `INSERT INTO service_deployments(cluster, service, id, created_at, revision_json, sources_json) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(cluster, service, id) DO NOTHING`,
        )
        .run(s.clusterName, s.name, d.id, d.createdAt, JSON.stringify(revision), JSON.stringify({ sources: rec.sources, ...(rec.restores !== undefined ? { restores: rec.restores } : {}) }));
    }
  }

  rollouts(cluster: string, service: string, rollouts: Record<string, DeploymentRollout>): void {
    for (const [id, r] of Object.entries(rollouts)) {
      const kept = { rolloutState: r.rolloutState, rolloutStateReason: r.rolloutStateReason, updatedAt: r.updatedAt, failedTasks: r.failedTasks };
      this.sql('UPDATE service_deployments SET rollout_json = ? WHERE cluster = ? AND service = ? AND id = ?').run(JSON.stringify(kept), cluster, service, id);
    }
  }

  /** Every recorded deployment of a service (a service has few: one per update). */
  ofService(cluster: string, service: string): StoredServiceDeployment[] {
    return (this.sql('SELECT * FROM service_deployments WHERE cluster = ? AND service = ? ORDER BY created_at').all(cluster, service) as Row[]).map(toStored);
  }

  get(cluster: string, service: string, id: string): StoredServiceDeployment | undefined {
    const r = this.sql('SELECT * FROM service_deployments WHERE cluster = ? AND service = ? AND id = ?').get(cluster, service, id) as Row | undefined;
    return r ? toStored(r) : undefined;
  }

  /** A new incarnation of a deleted service name starts a new history. */
  forget(cluster: string, service: string): void {
    this.sql('DELETE FROM service_deployments WHERE cluster = ? AND service = ?').run(cluster, service);
  }
}
