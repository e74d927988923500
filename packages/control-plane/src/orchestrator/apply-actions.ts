import { randomUUID } from 'node:crypto';
import {
  appendServiceEvents,
  chooseCapacityProvider,
  msg,
  newTask,
  primaryDeployment,
  consumeResources,
  fits,
  requestStop,
  rolledBackService,
  serviceGroup,
  SPOT_INTERRUPTION_REASON,
  type ReconcileResult,
  type ServiceRuntime,
  type TaskDefinition,
  type TaskRequirement,
} from '@stevedore/core';
import type { Store } from '../store/store';
import type { StoredService } from '../store/services-repo';
import type { StoredTask } from '../store/tasks-repo';
import type { ClusterSnapshot } from './cluster-snapshot';
import { createProvisioningTasks, type ServiceProvisioning } from './provisioning-placer';
import { serviceTaskSpec } from './service-task-tags';

export interface ApplyOutcome {
  started: StoredTask[];
  stopped: string[];
  /** Placements that no longer fit at commit; the service stays dirty. */
  requeued: number;
}

/**
 * Applies one service's decision in one transaction (Nomad's plan applier):
 * stops first, then each placement re-checked against the instance as the
 * store has it now; what no longer fits is dropped and decided again on the
 * next tick. Events and rollout states are written with it, so a crash leaves
 * either all of it or none.
 */
export function applyReconcile(
  store: Store,
  snapshot: ClusterSnapshot,
  stored: StoredService,
  result: ReconcileResult,
  td: TaskDefinition | undefined,
  requirement: TaskRequirement,
  provisioning?: ServiceProvisioning,
): ApplyOutcome {
  const { service } = stored;
  const now = store.clock.now();
  return store.tx(() => {
    if (result.rollback) {
      // The one control-plane write to a service spec (swarmkit's rollback does the same), checked
      // against the spec the decision saw: a user's update in between wins.
      const fresh = store.services.get(service.clusterName, service.name);
      if (fresh && fresh.service.version === service.version && fresh.service.status === 'ACTIVE') store.services.putSpec(rolledBackService(fresh.service, result.rollback, now));
    }
    const stopped: string[] = [];
    for (const s of result.stop) {
      const current = store.tasks.get(s.taskId);
      if (!current) continue;
      // Draining a host (an operator, or a host group scaling in) reclaims the FARGATE_SPOT capacity on it: ECS's Spot interruption.
      const spot = current.capacityProviderName === 'FARGATE_SPOT' && current.containerInstanceId !== undefined && store.instances.get(current.containerInstanceId)?.status === 'DRAINING';
      const next = requestStop(current, spot ? { stopCode: 'SpotInterruption', reason: SPOT_INTERRUPTION_REASON, now } : { stopCode: 'ServiceSchedulerInitiated', reason: s.reason, now });
      if (!next) continue;
      const row = { ...next, seq: current.seq };
      store.tasks.put(row);
      stopped.push(s.taskId);
    }

    const started: StoredTask[] = [];
    let requeued = 0;
    let seq = store.tasks.nextSeq();
    // A capacity provider strategy spreads the service's tasks over FARGATE and FARGATE_SPOT by base and weight.
    const providers = new Map<string, number>();
    const fargateStrategy = service.launchType === 'FARGATE' && service.capacityProviderStrategy?.length ? service.capacityProviderStrategy : undefined;
    if (fargateStrategy) {
      for (const t of snapshot.serviceTasks(serviceGroup(service.name))) {
        if (t.desiredStatus === 'RUNNING' && t.capacityProviderName !== undefined) providers.set(t.capacityProviderName, (providers.get(t.capacityProviderName) ?? 0) + 1);
      }
    }
    const byInstance = new Map<string, string[]>();
    const primaryId = primaryDeployment(service)?.id;
    if (provisioning && td && primaryId) {
      // Host-group providers: every new task starts in PROVISIONING with its provider; the placer puts it on a host.
      const ids = [...result.place.map((p) => p.deploymentId), ...Array.from({ length: provisioning.canGrow ? result.unplaced : 0 }, () => primaryId)];
      started.push(...createProvisioningTasks(store, snapshot, service, td, ids, provisioning.constraints, now));
    } else for (const p of result.place) byInstance.set(p.instanceId, [...(byInstance.get(p.instanceId) ?? []), p.deploymentId]);
    for (const [instanceId, deployments] of byInstance) {
      // The store's cluster state as of now, this transaction's own writes included.
      const inst = store.clusterState.instance(service.clusterName, instanceId);
      if (!td || !inst || inst.status !== 'ACTIVE' || !inst.agentConnected) {
        requeued += deployments.length;
        continue;
      }
      const remaining = store.clusterState.remaining(service.clusterName, inst);
      for (const deploymentId of deployments) {
        if (!fits(remaining, requirement)) {
          requeued++;
          continue;
        }
        consumeResources(remaining, requirement);
        const provider = fargateStrategy ? chooseCapacityProvider(fargateStrategy, providers) : undefined;
        if (provider !== undefined) providers.set(provider, (providers.get(provider) ?? 0) + 1);
        const t: StoredTask = {
          ...newTask({
            clusterName: service.clusterName,
            td,
            containerInstanceId: instanceId,
            group: serviceGroup(service.name),
            startedBy: deploymentId,
            ...serviceTaskSpec(store, service, td),
            now,
            launchType: service.launchType ?? 'EC2',
            ...(provider !== undefined ? { capacityProviderName: provider } : {}),
            ...(service.platformVersion !== undefined ? { platformVersion: service.platformVersion } : {}),
            ...(service.awsvpcConfiguration !== undefined ? { awsvpcConfiguration: service.awsvpcConfiguration } : {}),
          }),
          seq: seq++,
        };
        store.tasks.insert(t);
        started.push(t);
      }
    }

    const messages: string[] = [];
    if (started.length > 0) messages.push(msg.started(service.name, started.map((t) => t.id)));
    // One event per reason, so a deployment's stops read apart from health-check replacements.
    const byReason = new Map<string, string[]>();
    const done = new Set(stopped);
    for (const s of result.stop) if (done.has(s.taskId)) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s.taskId]);
    for (const [reason, ids] of byReason) messages.push(msg.stopped(service.name, ids, reason));
    messages.push(...result.events.filter((m) => !(requeued > 0 && m === msg.steady(service.name))));
    const runtime = nextRuntime(stored, result, messages, now);
    if (result.inactive) store.services.markInactive(service.clusterName, service.name, runtime);
    else if (JSON.stringify(runtime) !== JSON.stringify(stored.runtime)) store.services.putRuntime(service.clusterName, service.name, runtime);
    stored.runtime = runtime;
    return { started, stopped, requeued };
  });
}

function nextRuntime(stored: StoredService, result: ReconcileResult, messages: string[], now: number): ServiceRuntime {
  const { service, runtime } = stored;
  const next: ServiceRuntime = { ...runtime, events: appendServiceEvents(runtime.events, messages, now, randomUUID), rollouts: { ...runtime.rollouts } };
  const primary = primaryDeployment(service);
  if (result.rollouts) next.rollouts = result.rollouts;
  else if (primary) {
    const current = next.rollouts[primary.id];
    if (result.steady && current?.rolloutState !== 'COMPLETED') {
      next.rollouts[primary.id] = { rolloutState: 'COMPLETED', rolloutStateReason: `ECS deployment ${primary.id} completed.`, updatedAt: now, failedTasks: current?.failedTasks ?? 0 };
    } else if (!current) {
      next.rollouts[primary.id] = { rolloutState: 'IN_PROGRESS', rolloutStateReason: `ECS deployment ${primary.id} in progress.`, updatedAt: now, failedTasks: 0 };
    }
  }
  if (result.daemonDesiredCount !== undefined) next.daemonDesiredCount = result.daemonDesiredCount;
  if (result.inactive) next.inactiveAt = now;
  return next;
}
