import {
  clusterFigures,
  targetGroupFigures,
  utilization,
  utilizationBase,
  type ClusterFigures,
  type TargetCounter,
  type TargetGroupFigures,
  type ServiceInsightsInput,
  type TaskInsightsInput,
  type TaskMetricsInput,
  type Utilization,
} from '@stevedore/core';
import type { Store } from '../store/store';
import type { TaskUsage } from '../store/task-usage-repo';
import { LoadBalancingView } from '../store/load-balancing-view';
import { activeTaskMetricsPage } from '../store/task-metrics-view';

/** One period's figures: what the metric store, Prometheus and the CLI see. */
export interface MetricsSnapshot {
  at: number;
  services: { cluster: string; service: string; runningTasks: number; figures: Utilization }[];
  clusters: { cluster: string; figures: ClusterFigures }[];
  targetGroups: { targetGroupArn: string; name: string; loadBalancerArn?: string; figures: TargetGroupFigures }[];
  /** Container Insights, for clusters whose containerInsights setting asks for them: services when enabled, tasks too when enhanced. */
  serviceInsights: ServiceInsightsInput[];
  tasks: TaskInsightsInput[];
}

const PAGE = 100;
/** Tasks read per step of `snapshotSteps`: a few milliseconds of the event loop. */
const TASK_PAGE = 1000;

function serviceOf(group: string): string | undefined {
  return group.startsWith('service:') ? group.slice('service:'.length) : undefined;
}

export interface SnapshotResult {
  snapshot: MetricsSnapshot;
  counters: Map<string, TargetCounter>;
}

/**
 * Loads what the period needs from the store (tasks not STOPPED, their latest
 * usage readings, registered capacity, target counters) and computes every
 * figure with core's definitions. `previousCounters` are the target counters
 * of the previous period; the returned `counters` become the next period's.
 */
export function takeSnapshot(store: Store, now: number, freshSince: number, previousCounters: ReadonlyMap<string, TargetCounter>, warm: boolean): SnapshotResult {
  const steps = snapshotSteps(store, now, freshSince, previousCounters, warm);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * `takeSnapshot` in steps: it pauses after each page of a cluster's tasks, so
 * the metrics role can give the event loop back between pages (30,000 tasks
 * read at once held it for a third of a second, every period). Tasks that
 * change between two pages are counted as the page that read them saw them,
 * as a period's figures are a sample anyway; at rest the figures are the same.
 */
export function* snapshotSteps(
  store: Store,
  now: number,
  freshSince: number,
  previousCounters: ReadonlyMap<string, TargetCounter>,
  warm: boolean,
): Generator<void, SnapshotResult, void> {
  const usage = new Map<string, TaskUsage>();
  for (const u of store.taskUsage.fresh(freshSince)) usage.set(u.taskId, u);
  const snapshot: MetricsSnapshot = { at: now, services: [], clusters: [], targetGroups: [], serviceInsights: [], tasks: [] };
  // Task definitions are immutable: one lookup per revision per period.
  const taskLevel = new Map<string, { cpu: boolean; memory: boolean }>();
  for (let after: string | undefined, page = store.clusters.listActive(undefined, PAGE); page.length > 0; after = page[page.length - 1]!.name, page = store.clusters.listActive(after, PAGE)) {
    for (const cluster of page) {
      // ECS's cluster setting: Container Insights cost datapoints per service (enabled) and per task (enhanced).
      const insights = cluster.settings.find((s) => s.name === 'containerInsights')?.value ?? 'disabled';
      const inputs: TaskMetricsInput[] = [];
      const byService = new Map<string, TaskMetricsInput[]>();
      for (let after = -1, more = true; more; ) {
        const page = activeTaskMetricsPage(store, cluster.name, after, TASK_PAGE);
        more = page.rows.length === TASK_PAGE;
        after = page.lastSeq;
        for (const t of page.rows) {
          const key = `${t.family}:${t.revision}`;
          let level = taskLevel.get(key);
          if (!level) {
            const td = store.taskDefinitions.get(t.family, t.revision)?.taskDefinition;
            level = { cpu: td?.cpu !== undefined, memory: td?.memory !== undefined };
            taskLevel.set(key, level);
          }
          // Task-level values (overrides first) are the task's own reservation figures.
          // Its containers come summed (one "container" of the totals gives utilizationBase's sums).
          const base = utilizationBase(
            { ...(level.cpu || t.cpuOverridden ? { cpu: t.cpu } : {}), ...(level.memory || t.memoryOverridden ? { memory: t.memory } : {}) },
            [t.containers],
          );
          const u = t.lastStatus === 'RUNNING' ? usage.get(t.id) : undefined;
          const serviceName = serviceOf(t.group);
          const input: TaskMetricsInput = {
            taskId: t.id,
            clusterName: cluster.name,
            family: t.family,
            base,
            reserved: { cpu: t.cpu, memory: t.memory },
            holdsReservation: t.containerInstanceId !== undefined,
            ...(serviceName ? { serviceName } : {}),
            ...(u ? { usage: { cpuUnits: u.cpuUnits, memoryMiB: u.memoryMiB } } : {}),
          };
          inputs.push(input);
          if (serviceName) {
            const list = byService.get(serviceName);
            if (list) list.push(input);
            else byService.set(serviceName, [input]);
          }
          if (u && insights === 'enhanced') {
            const perSecond = 1000 / u.windowMs;
            snapshot.tasks.push({
              cluster: cluster.name,
              ...(serviceName ? { serviceName } : {}),
              family: t.family,
              taskId: t.id,
              cpuUtilized: u.cpuUnits,
              cpuReserved: base.cpu,
              memoryUtilized: u.memoryMiB,
              memoryReserved: base.memory,
              networkRxBytes: u.rxBytes * perSecond,
              networkTxBytes: u.txBytes * perSecond,
              storageReadBytes: u.readBytes,
              storageWriteBytes: u.writeBytes,
            });
          }
        }
        if (more) yield;
      }
      for (const [service, tasks] of byService) {
        snapshot.services.push({ cluster: cluster.name, service, runningTasks: tasks.filter((t) => t.usage).length, figures: utilization(tasks) });
        if (insights === 'enabled' || insights === 'enhanced') {
          const measured = tasks.filter((t) => t.usage);
          snapshot.serviceInsights.push({
            cluster: cluster.name,
            serviceName: service,
            cpuUtilized: measured.reduce((s, t) => s + t.usage!.cpuUnits, 0),
            cpuReserved: measured.reduce((s, t) => s + t.base.cpu, 0),
            memoryUtilized: measured.reduce((s, t) => s + t.usage!.memoryMiB, 0),
            memoryReserved: measured.reduce((s, t) => s + t.base.memory, 0),
            runningTaskCount: measured.length,
          });
        }
      }
      let cpu = 0;
      let memory = 0;
      // The store's kept cluster state (not INACTIVE), not every instance row decoded again.
      for (const i of store.clusterState.instances(cluster.name)) {
        if (i.status !== 'ACTIVE' && i.status !== 'DRAINING') continue;
        cpu += i.registeredResources.cpu;
        memory += i.registeredResources.memory;
      }
      snapshot.clusters.push({ cluster: cluster.name, figures: clusterFigures(inputs, { cpu, memory }) });
    }
  }
  const counters = new Map<string, TargetCounter>();
  const targetGroups = store.loadBalancers.listTargetGroups();
  if (targetGroups.length > 0) {
    const view = new LoadBalancingView(store);
    for (const tg of targetGroups) {
      const states = store.targets.targetsOf(tg.arn).map((t) => view.health(t).state);
      const own: TargetCounter[] = store.targets.health(tg.arn).map((o) => ({
        key: `${o.targetGroupArn}\u0000${o.id}\u0000${o.port}\u0000${o.registrationId}\u0000${o.reporterInstanceId}`,
        requests: o.requests,
        errors: o.errors,
        responseTimeMs: o.responseTimeMs ?? 0,
      }));
      for (const c of own) counters.set(c.key, c);
      const lb = view.loadBalancersOf(tg.arn)[0];
      snapshot.targetGroups.push({
        targetGroupArn: tg.arn,
        name: tg.name,
        ...(lb ? { loadBalancerArn: lb } : {}),
        figures: targetGroupFigures({ targetGroupArn: tg.arn, targetStates: states, counters: own }, previousCounters, warm),
      });
    }
  }
  return { snapshot, counters };
}
