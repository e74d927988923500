/**
 * ECS's newer deployment history (ListServiceDeployments and friends) derived
 * from Stevedore's deployments: a pure function of the recorded deployments
 * of one service, so the status rules are table-tested on their own.
 *
 * ECS models a circuit-breaker rollback as a stage of the failed deployment
 * (ROLLBACK_IN_PROGRESS, then ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED, with a
 * `rollback` member); Stevedore runs it as a deployment of its own that
 * `restores` an earlier one. The rollback is therefore folded into the
 * deployment it rolled back and is not listed by itself.
 */
import type { Deployment, DeploymentRollout } from '../model/service';

export const SERVICE_DEPLOYMENT_STATUSES = [
  'PENDING',
  'SUCCESSFUL',
  'STOPPED',
  'STOP_REQUESTED',
  'IN_PROGRESS',
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_SUCCESSFUL',
  'ROLLBACK_FAILED',
] as const;
export type ServiceDeploymentStatus = (typeof SERVICE_DEPLOYMENT_STATUSES)[number];

/** One recorded deployment of a service. */
export interface RecordedDeployment {
  id: string;
  createdAt: number;
  /** Deployment.restores: set on a circuit-breaker rollback. */
  restores?: string;
  /** Deployments the service had when this one started (newest last). */
  sources: string[];
  rollout?: Pick<DeploymentRollout, 'rolloutState' | 'rolloutStateReason' | 'updatedAt'>;
}

export interface ServiceDeploymentView {
  id: string;
  status: ServiceDeploymentStatus;
  statusReason?: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  stoppedAt?: number;
  updatedAt?: number;
  /** The folded rollback, if one ran. */
  rollback?: { id: string; startedAt: number; reason: string };
}

/** The deployment a rollback rolled back: the newest of its sources that is not the one it restores. */
export function rolledBackBy(d: RecordedDeployment): string | undefined {
  if (d.restores === undefined) return undefined;
  return [...d.sources].reverse().find((s) => s !== d.restores);
}

/**
 * Each listed deployment of a service with its ECS status, newest first.
 * `deployments` are all recorded deployments of the service, in any order.
 */
export function serviceDeploymentHistory(deployments: readonly RecordedDeployment[]): ServiceDeploymentView[] {
  const byNewest = [...deployments].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  const rollbackOf = new Map<string, RecordedDeployment>();
  for (const d of byNewest) {
    const failed = rolledBackBy(d);
    if (failed !== undefined && deployments.some((x) => x.id === failed) && !rollbackOf.has(failed)) rollbackOf.set(failed, d);
  }
  const folded = new Set([...rollbackOf.values()].map((r) => r.id));
  const out: ServiceDeploymentView[] = [];
  byNewest.forEach((d, i) => {
    if (folded.has(d.id)) return;
    // The next deployment started after this one (rollbacks of this one excepted): it supersedes it.
    const newer = byNewest.slice(0, i).reverse().find((x) => !folded.has(x.id) || rolledBackBy(x) !== d.id);
    out.push(viewOf(d, rollbackOf.get(d.id), newer));
  });
  return out;
}

function viewOf(d: RecordedDeployment, rollback: RecordedDeployment | undefined, newer: RecordedDeployment | undefined): ServiceDeploymentView {
  const base: ServiceDeploymentView = { id: d.id, status: 'PENDING', createdAt: d.createdAt };
  const r = d.rollout;
  if (!r) {
    if (newer) return { ...base, status: 'STOPPED', statusReason: `Superseded by deployment ${newer.id}.`, stoppedAt: newer.createdAt, finishedAt: newer.createdAt, updatedAt: newer.createdAt };
    return base;
  }
  const started = { ...base, startedAt: d.createdAt, updatedAt: r.updatedAt, statusReason: r.rolloutStateReason };
  if (r.rolloutState === 'COMPLETED') return { ...started, status: 'SUCCESSFUL', finishedAt: r.updatedAt };
  if (r.rolloutState === 'FAILED') {
    if (!rollback) return { ...started, status: 'STOPPED', stoppedAt: r.updatedAt, finishedAt: r.updatedAt };
    const rb = rollback.rollout;
    const withRollback = { ...started, rollback: { id: rollback.id, startedAt: rollback.createdAt, reason: r.rolloutStateReason } };
    if (rb?.rolloutState === 'COMPLETED') return { ...withRollback, status: 'ROLLBACK_SUCCESSFUL', updatedAt: rb.updatedAt, finishedAt: rb.updatedAt };
    if (rb?.rolloutState === 'FAILED') return { ...withRollback, status: 'ROLLBACK_FAILED', statusReason: rb.rolloutStateReason, updatedAt: rb.updatedAt, finishedAt: rb.updatedAt };
    return { ...withRollback, status: 'ROLLBACK_IN_PROGRESS', updatedAt: rb?.updatedAt ?? r.updatedAt };
  }
  if (newer) return { ...started, status: 'STOPPED', statusReason: `Superseded by deployment ${newer.id}.`, stoppedAt: newer.createdAt, finishedAt: newer.createdAt, updatedAt: newer.createdAt };
  return { ...started, status: 'IN_PROGRESS' };
}

/** What a deployment records when the API writes it into a service. */
export function recordedDeploymentOf(d: Deployment, all: readonly Deployment[]): Pick<RecordedDeployment, 'id' | 'createdAt' | 'restores' | 'sources'> {
  const sources = all.filter((x) => x.id !== d.id && x.createdAt <= d.createdAt).sort((a, b) => a.createdAt - b.createdAt).map((x) => x.id);
  return { id: d.id, createdAt: d.createdAt, sources, ...(d.restores !== undefined ? { restores: d.restores } : {}) };
}
