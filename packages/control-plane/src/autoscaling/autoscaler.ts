import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  appendServiceEvents,
  arns,
  AUTOSCALING_SERVICE_LINKED_POLICY,
  AUTOSCALING_SERVICE_LINKED_ROLE,
  autoscalingPrincipalArn,
  decideServiceScaling,
  hostAccessOf,
  lastFireTimeBetween,
  parseSchedule,
  hostAccessViolations,
  pruneMemory,
  type ArnContext,
  type Clock,
  type DueScheduledAction,
  type PlannedActivity,
  type ScalableTarget,
  type Service,
  type ServiceRuntime,
} from '@stevedore/core';
import type { Store } from '../store/store';
import type { Change } from '../store/changes';
import { serviceLinkedDecision } from '../store/service-linked-view';

import { triggerOf } from './policy-triggers';
import { DEFAULT_TRACKING_ALARMS, reconcileTrackingAlarms, type TrackingAlarmOptions } from './tracking-alarms';

export interface AutoscalerOptions {
  /** Every target is evaluated this often, whatever happened (scheduled actions, cooldowns ending, missed events). */
  intervalMs: number;
  /** A burst of changes is evaluated once, this long after the first. */
  debounceMs: number;
  /** Evaluation of the alarms target tracking creates. */
  alarms: TrackingAlarmOptions;
}

export const DEFAULT_AUTOSCALER_OPTIONS: AutoscalerOptions = { intervalMs: 10_000, debounceMs: 50, alarms: DEFAULT_TRACKING_ALARMS };

/**
 * The autoscaler: Application Auto Scaling's engine for ECS services. For
 * each scalable target it reads the service, the target's scheduled actions
 * (those whose fire time came since it last looked) and its policies'
 * alarms, asks core's pure `decideServiceScaling`, and applies the result in one
 * transaction: Min/Max, the service's desiredCount (the UpdateService path:
 * a new spec version, never a new deployment), the activities and a service
 * event. Level-triggered and restart-safe: it wakes on changes to targets,
 * services and alarms and on a tick, and everything it remembers (cooldown
 * clocks, how far it read each schedule) is in the store.
 *
 * It acts under the built-in service-linked role: each write is checked
 * against that role's policy and audited with the role as the caller.
 */
export class Autoscaler {
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly principal: string;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly arn: ArnContext,
    private readonly options: AutoscalerOptions = DEFAULT_AUTOSCALER_OPTIONS,
  ) {
    this.principal = autoscalingPrincipalArn(arn.account);
  }

  start(): void {
    this.unsubscribe = this.store.changes.on((c) => this.onChange(c));
    this.timer = setInterval(() => this.evaluateAll(), this.options.intervalMs);
    this.timer.unref();
    this.schedule();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    this.timer = this.debounce = undefined;
  }

  private onChange(c: Change): void {
    // A service's own change matters too: a manual desiredCount outside the bounds, a deployment ending.
    // An alarm changing state may trigger a policy (its actions name it).
    if (c.kind === 'scalable-target' || c.kind === 'alarm-state' || (c.kind === 'service' && this.store.autoscaling.targetsOfService(c.cluster, c.service).length > 0)) this.schedule();
  }

  private schedule(): void {
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.evaluateAll();
    }, this.options.debounceMs);
    this.debounce.unref();
  }

  /** One pass over every target; a failure on one is logged and does not stop the others. */
  evaluateAll(): void {
    try {
      // Protection of tasks that are gone or expired: the table holds only what still protects something.
      const pruned = this.store.tx(() => this.store.autoscaling.pruneTaskProtection(this.clock.now()));
      if (pruned > 0) this.log.debug({ pruned }, 'task protection rows pruned');
    } catch (err) {
      this.log.error({ err }, 'pruning task protection failed');
    }
    for (const t of this.store.autoscaling.listTargets()) {
      try {
        this.evaluate(t.resourceId);
      } catch (err) {
        this.log.error({ err, resourceId: t.resourceId }, 'autoscaling evaluation failed');
      }
    }
  }

  evaluate(resourceId: string): void {
    this.store.tx(() => {
      const target = this.store.autoscaling.getTarget(resourceId);
      if (!target) return;
      const stored = this.store.services.get(target.cluster, target.service);
      if (!stored || stored.service.status !== 'ACTIVE') return;
      const now = this.clock.now();
      reconcileTrackingAlarms(this.store, target, this.options.alarms, now, this.principal, this.log);
      const due = this.dueScheduledActions(target, now);
      const policies = this.store.autoscaling.listPolicies(resourceId);
      const memory = pruneMemory(this.store.autoscaling.getMemory(resourceId), policies.map((p) => p.name));
      const svc = stored.service;
      const decision = decideServiceScaling({
        now,
        minCapacity: target.minCapacity,
        maxCapacity: target.maxCapacity,
        suspendedState: target.suspendedState,
        desiredCount: svc.desiredCount,
        deploymentInProgress: deploymentInProgress(svc, stored.runtime),
        dueScheduledActions: due,
        triggers: policies.map((p) => triggerOf(this.store, p, now)),
        memory,
      });
      this.log.debug({ resourceId, proposals: decision.proposals }, 'autoscaling evaluated');
      if (decision.minCapacity !== target.minCapacity || decision.maxCapacity !== target.maxCapacity) {
        this.store.autoscaling.putCapacity(resourceId, decision.minCapacity, decision.maxCapacity);
        this.log.info({ resourceId, min: decision.minCapacity, max: decision.maxCapacity }, 'scheduled action set capacity');
      }
      let outcome: { ok: true } | { ok: false; why: string } = { ok: true };
      if (decision.desiredCount !== svc.desiredCount) outcome = this.setDesiredCount(target, svc, stored.runtime, decision.desiredCount, decision.activities, now);
      for (const a of decision.activities) this.record(target, a, now, a.kind === 'scheduled' || outcome.ok ? undefined : outcome.why, decision.desiredCount);
      if (JSON.stringify(decision.memory) !== JSON.stringify(this.store.autoscaling.getMemory(resourceId)) && outcome.ok) this.store.autoscaling.putMemory(resourceId, decision.memory);
    });
  }

  /** Scheduled actions whose latest fire time lies in (last looked, now]; each is marked as looked at now. */
  private dueScheduledActions(target: ScalableTarget, now: number): DueScheduledAction[] {
    const due: DueScheduledAction[] = [];
    for (const a of this.store.autoscaling.listScheduledActions(target.resourceId)) {
      let firedAt: number | undefined;
      try {
        const window = { createdAt: a.createdAt, ...(a.startTime !== undefined ? { startTime: a.startTime } : {}), ...(a.endTime !== undefined ? { endTime: a.endTime } : {}) };
        firedAt = lastFireTimeBetween(parseSchedule(a.schedule, a.timezone ?? 'UTC'), window, a.checkedAt, now);
      } catch (err) {
        this.log.warn({ err, resourceId: target.resourceId, scheduledAction: a.name }, 'scheduled action has an unreadable schedule');
      }
      if (firedAt !== undefined) {
        due.push({ name: a.name, firedAt, ...(a.minCapacity !== undefined ? { minCapacity: a.minCapacity } : {}), ...(a.maxCapacity !== undefined ? { maxCapacity: a.maxCapacity } : {}) });
        this.log.info({ resourceId: target.resourceId, scheduledAction: a.name, firedAt: new Date(firedAt).toISOString() }, 'scheduled action triggered');
      }
      this.store.autoscaling.markScheduledActionChecked(target.resourceId, a.name, now);
    }
    return due;
  }

  /**
   * The UpdateService path under the service-linked role: its policy must
   * allow ecs:UpdateService on the service, a scale-out must pass the
   * cluster's host-access gate like any UpdateService that starts tasks, and
   * the change is audited with the role as the caller.
   */
  private setDesiredCount(target: ScalableTarget, svc: Service, runtime: ServiceRuntime, desired: number, activities: PlannedActivity[], now: number): { ok: true } | { ok: false; why: string } {
    const serviceArn = arns.service(this.arn, svc.clusterName, svc.name);
    const audit = { audit: true, action: 'ecs:UpdateService', principal: this.principal, role: AUTOSCALING_SERVICE_LINKED_ROLE, resources: [serviceArn] };
    const refuse = (why: string) => {
      this.log.info({ ...audit, outcome: 'error', error: 'AccessDeniedException' }, 'api call');
      this.log.warn({ resourceId: target.resourceId, why }, 'autoscaling could not set the desired count');
      return { ok: false as const, why };
    };
    if (serviceLinkedDecision(this.store, AUTOSCALING_SERVICE_LINKED_ROLE, AUTOSCALING_SERVICE_LINKED_POLICY, 'ecs:UpdateService', serviceArn) !== 'allow') return refuse(`${AUTOSCALING_SERVICE_LINKED_ROLE} is not authorized to perform ecs:UpdateService on ${serviceArn}`);
    if (desired > svc.desiredCount) {
      const cluster = this.store.clusters.get(svc.clusterName);
      const td = this.taskDefinitionOf(svc);
      const violations = cluster && td ? hostAccessViolations(td, hostAccessOf(cluster.settings)) : [];
      if (violations.length > 0) return refuse(`Cluster ${svc.clusterName} does not allow this task definition: ${violations.map((v) => v.message).join('; ')}`);
    }
    const next: Service = { ...svc, desiredCount: desired, updatedAt: now, updatedBy: this.principal, version: svc.version + 1 };
    this.store.services.putSpec(next);
    const cause = activities.find((a) => a.kind !== 'scheduled')?.cause ?? 'autoscaling';
    const message = `(service ${svc.name}) Application Auto Scaling changed the desired count from ${svc.desiredCount} to ${desired}: ${cause}.`;
    this.store.services.putRuntime(svc.clusterName, svc.name, { ...runtime, events: appendServiceEvents(runtime.events, [message], now, randomUUID) });
    this.log.info({ ...audit, outcome: 'ok' }, 'api call');
    this.log.info({ cluster: svc.clusterName, service: svc.name, from: svc.desiredCount, to: desired, cause }, 'desired count set by autoscaling');
    return { ok: true };
  }

  private taskDefinitionOf(svc: Service) {
    const m = /task-definition\/([A-Za-z0-9_-]+):(\d+)$/.exec(svc.taskDefinitionArn);
    return m ? this.store.taskDefinitions.get(m[1]!, Number(m[2]))?.taskDefinition : undefined;
  }

  private record(target: ScalableTarget, a: PlannedActivity, now: number, failure: string | undefined, desired: number): void {
    const statusMessage = failure
      ? `Failed to set desired count to ${desired}. Reason: ${failure}`
      : a.kind === 'scheduled'
        ? 'Successfully set min and max capacity.'
        : `Successfully set desired count to ${desired}. Change successfully fulfilled by ecs.`;
    this.store.autoscaling.addActivity({
      activityId: randomUUID(),
      resourceId: target.resourceId,
      description: a.description,
      cause: a.cause,
      startTime: now,
      endTime: now,
      statusCode: failure ? 'Failed' : 'Successful',
      statusMessage,
    });
  }
}

/** A deployment rolls out while an older one still has tasks, or the primary has not completed. */
export function deploymentInProgress(svc: Service, runtime: ServiceRuntime): boolean {
  if (svc.deployments.some((d) => d.status === 'ACTIVE')) return true;
  const primary = svc.deployments.find((d) => d.status === 'PRIMARY');
  return primary !== undefined && runtime.rollouts[primary.id]?.rolloutState === 'IN_PROGRESS';
}
