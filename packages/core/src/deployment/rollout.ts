import type { Deployment, DeploymentRollout, Service } from '../model/service';
import { circuitBreakerThreshold } from './circuit-breaker';

/** A deployment whose figures have not improved for this long fails instead of hanging. */
export const DEFAULT_DEPLOYMENT_TIMEOUT_MS = 10 * 60_000;

export interface DeploymentOptions {
  /** See DEFAULT_HEALTHY_AFTER_RUNNING_MS. */
  healthyAfterRunningMs: number;
  timeoutMs: number;
  /** No progress is expected before this (the control plane's start): its own downtime is not a stall. */
  progressSince: number;
  /** Ids for rollback deployments; pure callers pass a deterministic one. */
  newDeploymentId: () => string;
}

/** rolloutStateReason texts, as ECS writes them. */
export const rolloutReason = {
  inProgress: (id: string) => `ECS deployment ${id} in progress.`,
  completed: (id: string) => `ECS deployment ${id} completed.`,
  breaker: 'ECS deployment circuit breaker: tasks failed to start.',
  rollingBack: (to: string) => `ECS deployment circuit breaker: rolling back to deploymentId ${to}.`,
  timedOut: (id: string, seconds: number) => `ECS deployment ${id} failed: no progress within ${seconds} seconds (deployment timeout).`,
};

const revisionOf = (arn: string) => /task-definition\/(.+)$/.exec(arn)?.[1] ?? arn;

/** Service events of a deployment's life. */
export const deploymentMsg = {
  started: (s: string, d: Deployment) => `(service ${s}) (deployment ${d.id}) deployment started with task definition ${revisionOf(d.taskDefinitionArn)}.`,
  completed: (s: string, id: string) => `(service ${s}) (deployment ${id}) deployment completed.`,
  failed: (s: string, id: string, why: string) => `(service ${s}) (deployment ${id}) deployment failed: ${why}`,
  rollingBack: (s: string, d: Deployment, to: string) =>
    `(service ${s}) (deployment ${d.id}) rolling back to deployment ${to} (task definition ${revisionOf(d.taskDefinitionArn)}).`,
  noRollback: (s: string, id: string, why: string) => `(service ${s}) (deployment ${id}) not rolled back: ${why}`,
};

/** The PRIMARY deployment as the rollout sees it right now. */
export interface RolloutFacts {
  /** Its tasks counted healthy. */
  healthy: number;
  /** Tasks of other deployments that are not STOPPED yet (still to replace, or stopping). */
  old: number;
  /** Circuit-breaker failures of its tasks so far. */
  failures: number;
}

export interface RolloutGate {
  rollouts: Record<string, DeploymentRollout>;
  events: string[];
  /** The PRIMARY may launch tasks: false once it FAILED. */
  launch: boolean;
  /** A rollback to apply: the new PRIMARY deployment (configuration of a COMPLETED one). */
  rollback?: Deployment;
  nextWakeAt?: number;
}

/** Deployments whose tasks count as the PRIMARY's: itself and, for a rollback, what it restores. */
export function currentDeploymentIds(service: Service, primary: Deployment | undefined): Set<string> {
  const ids = new Set<string>();
  for (let d = primary; d && !ids.has(d.id); d = d.restores ? service.deployments.find((x) => x.id === d!.restores) : undefined) ids.add(d.id);
  return ids;
}

/**
 * Before anything is decided: starts the PRIMARY's rollout record, and fails
 * an IN_PROGRESS deployment whose circuit breaker tripped (ECS threshold) or
 * that made no progress within the timeout. With `rollback`, the last
 * COMPLETED deployment's configuration becomes a new PRIMARY deployment;
 * a rollback itself is never rolled back (that could loop).
 */
export function gateRollout(service: Service, stored: Record<string, DeploymentRollout>, primary: Deployment, facts: RolloutFacts, now: number, opts: DeploymentOptions): RolloutGate {
  const known = new Set(service.deployments.map((d) => d.id));
  const rollouts = Object.fromEntries(Object.entries(stored).filter(([id]) => known.has(id)));
  const events: string[] = [];
  let r = rollouts[primary.id];
  if (!r) {
    r = { rolloutState: 'IN_PROGRESS', rolloutStateReason: rolloutReason.inProgress(primary.id), updatedAt: now, failedTasks: 0, progress: { healthy: facts.healthy, old: facts.old, at: now } };
    if (service.deployments.length > 1) events.push(deploymentMsg.started(service.name, primary));
  }
  if (r.rolloutState === 'FAILED') {
    rollouts[primary.id] = r;
    return { rollouts, events, launch: false };
  }
  if (r.rolloutState === 'COMPLETED') {
    // Settled: later failures are ordinary task replacements, counted by DescribeServices from the tasks.
    rollouts[primary.id] = r;
    return { rollouts, events, launch: true };
  }
  r = { ...r, failedTasks: facts.failures };
  const best = r.progress ?? { healthy: facts.healthy, old: facts.old, at: now };
  if (facts.healthy > best.healthy || facts.old < best.old) {
    r.progress = { healthy: Math.max(best.healthy, facts.healthy), old: Math.min(best.old, facts.old), at: now };
  } else r.progress = best;
  const stalledSince = Math.max(r.progress.at, opts.progressSince);

  const breaker = service.deploymentConfiguration.deploymentCircuitBreaker;
  let why: { reason: string; event: string } | undefined;
  if (service.schedulingStrategy === 'REPLICA' && breaker.enable && facts.failures >= circuitBreakerThreshold(service.desiredCount)) {
    why = { reason: rolloutReason.breaker, event: 'tasks failed to start.' };
  } else if (now - stalledSince >= opts.timeoutMs) {
    const seconds = Math.round(opts.timeoutMs / 1000);
    why = { reason: rolloutReason.timedOut(primary.id, seconds), event: `no progress within ${seconds} seconds (deployment timeout).` };
  }
  if (!why) {
    rollouts[primary.id] = r;
    return { rollouts, events, launch: true, nextWakeAt: stalledSince + opts.timeoutMs };
  }

  rollouts[primary.id] = { ...r, rolloutState: 'FAILED', rolloutStateReason: why.reason, updatedAt: now };
  events.push(deploymentMsg.failed(service.name, primary.id, why.event));
  if (!breaker.rollback) return { rollouts, events, launch: false };
  if (primary.restores) {
    events.push(deploymentMsg.noRollback(service.name, primary.id, 'it is itself a rollback.'));
    return { rollouts, events, launch: false };
  }
  const target = [...service.deployments]
    .filter((d) => d.id !== primary.id && rollouts[d.id]?.rolloutState === 'COMPLETED')
    .sort((a, b) => b.createdAt - a.createdAt)[0];
  if (!target) {
    events.push(deploymentMsg.noRollback(service.name, primary.id, 'no COMPLETED deployment to roll back to.'));
    return { rollouts, events, launch: false };
  }
  const rollback: Deployment = { id: opts.newDeploymentId(), status: 'PRIMARY', taskDefinitionArn: target.taskDefinitionArn, createdAt: now, restores: target.id };
  // Launched under the authorization that started the deployment it restores: nobody new is checked.
  if (target.createdBy !== undefined) rollback.createdBy = target.createdBy;
  rollouts[rollback.id] = {
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: rolloutReason.rollingBack(target.id),
    updatedAt: now,
    failedTasks: 0,
    progress: { healthy: 0, old: facts.old, at: now },
  };
  events.push(deploymentMsg.rollingBack(service.name, rollback, target.id));
  return { rollouts, events, launch: false, rollback };
}

/** After the decision: COMPLETED once the PRIMARY runs what it should, all healthy, and nothing older is left. */
export function completeRollout(service: Service, gate: RolloutGate, primary: Deployment, complete: boolean, now: number): { rollouts: Record<string, DeploymentRollout>; events: string[] } {
  const r = gate.rollouts[primary.id];
  if (!complete || !r || r.rolloutState !== 'IN_PROGRESS' || gate.rollback) return { rollouts: gate.rollouts, events: [] };
  const { progress: _done, ...rest } = r;
  return {
    rollouts: { ...gate.rollouts, [primary.id]: { ...rest, rolloutState: 'COMPLETED', rolloutStateReason: rolloutReason.completed(primary.id), updatedAt: now } },
    events: [deploymentMsg.completed(service.name, primary.id)],
  };
}

/** Deployments kept on a service: enough history to find the last COMPLETED one to roll back to. */
export const MAX_DEPLOYMENTS_KEPT = 10;

/** `d` becomes PRIMARY; the previous PRIMARY turns ACTIVE (until drained); the oldest beyond the limit are forgotten. */
export function withPrimaryDeployment(deployments: Deployment[], d: Deployment): Deployment[] {
  const rest = deployments.filter((x) => x.id !== d.id).map((x) => (x.status === 'PRIMARY' ? { ...x, status: 'ACTIVE' as const } : x));
  return [d, ...rest].slice(0, MAX_DEPLOYMENTS_KEPT);
}

/** The service spec after a circuit-breaker rollback: the restored revision, and a fresh start for the launch throttle. */
export function rolledBackService(s: Service, d: Deployment, now: number): Service {
  return { ...s, taskDefinitionArn: d.taskDefinitionArn, deployments: withPrimaryDeployment(s.deployments, d), updatedAt: now, version: s.version + 1 };
}
