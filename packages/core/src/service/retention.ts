import type { Service, ServiceRuntime } from '../model/service';
import { primaryDeployment } from './service-view';

/** ECS: DescribeTasks finds a stopped task for about an hour after it stops. */
export const DEFAULT_STOPPED_TASK_RETENTION_MS = 3600_000;

/** Stopped tasks whose stop time is before this are due for deletion. */
export function stoppedTaskCutoff(now: number, retentionMs: number): number {
  return now - retentionMs;
}

/**
 * Deployments whose circuit breaker still counts failed tasks from the task
 * table (the reconciler's `countDeploymentFailures`, no look-back): the
 * PRIMARY deployment of a live service with the breaker enabled, while its
 * rollout is still open. Their failed tasks are evidence and must outlive the
 * retention; there are at most the breaker's threshold (ECS: 200) of them
 * before the rollout fails, so keeping them stays bounded.
 */
export function deploymentsCountingFailures(service: Service, runtime: ServiceRuntime): string[] {
  if (service.status === 'INACTIVE' || !service.deploymentConfiguration.deploymentCircuitBreaker.enable) return [];
  const primary = primaryDeployment(service);
  if (!primary) return [];
  const state = runtime.rollouts[primary.id]?.rolloutState;
  return state === 'COMPLETED' || state === 'FAILED' ? [] : [primary.id];
}
