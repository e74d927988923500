import * as os from 'node:os';
import * as path from 'node:path';
import type { Logger } from 'pino';
import type { ArnContext, Clock } from '@stevedore/core';
import type { Store } from './store/store';
import type { ControlPlaneConfig } from './config';
import { DEFAULT_ORCHESTRATOR_OPTIONS, ServiceReconciler } from './orchestrator/service-reconciler';
import { TargetRegistrar } from './loadbalancer/target-registrar';
import { DEFAULT_TASK_REAPER_OPTIONS, reaperIntervalFor, TaskReaper } from './retention/task-reaper';
import { MetricRetention } from './metrics/metric-retention';
import { AlarmEvaluator, DEFAULT_ALARM_EVALUATOR_OPTIONS } from './alarms/alarm-evaluator';
import { DEFAULT_LOG_PRUNER_OPTIONS, LogPruner } from './log-retention/log-pruner';
import { Autoscaler, DEFAULT_AUTOSCALER_OPTIONS } from './autoscaling/autoscaler';
import { DEFAULT_HOST_GROUP_CONTROLLER_OPTIONS, HostGroupController } from './capacity/host-group-controller';
import { CapacityScaler } from './capacity/capacity-scaler';
import { DEFAULT_METRIC_PUBLISHER_OPTIONS, MetricPublisher } from './metrics/metric-publisher';
import type { PrometheusMetrics } from './metrics/prometheus';
import { DEFAULT_SCHEDULE_RUNNER_OPTIONS, ScheduleRunner, type LaunchAs } from './schedules/schedule-runner';

/**
 * Placements per service per orchestrator tick on PostgreSQL (SQLite: 2,500).
 * At ~1 ms per task on a loaded machine a batch blocks the event loop ~0.2 s;
 * the rest follows on the next turn, with heartbeats and pushes in between.
 */
export const POSTGRES_MAX_PLACEMENTS_PER_TICK = 200;

export interface LeaderRoleDeps {
  /** The fenced store of this term (Store.fenced): every transaction re-checks the term. */
  store: Store;
  config: ControlPlaneConfig;
  log: Logger;
  clock: Clock;
  arn: ArnContext;
  prometheus: PrometheusMetrics;
  /** What new hosts of host groups dial. */
  joinEndpoint: () => { controlPlane: string; caCertHash: string };
  /** How the schedule runner launches a run: the API's RunTask as the schedule's role (schedule-launch.ts). */
  scheduleLaunch: LaunchAs;
}

/**
 * The roles only the leader runs (docs/design/high-availability.md): every
 * reconcile loop and periodic pass that writes cluster state on its own
 * initiative. Built afresh for each leadership term around that term's
 * fenced store, started when the term begins, stopped when it ends. A new
 * loop that writes on its own goes here, never in ControlPlane's always-on
 * part (the API and the dispatcher, which every replica serves).
 */
export class LeaderRoles {
  readonly orchestrator: ServiceReconciler;
  readonly metrics: MetricPublisher;
  private readonly loadBalancing: TargetRegistrar;
  private readonly reaper: TaskReaper;
  private readonly metricRetention: MetricRetention;
  private readonly autoscaler: Autoscaler;
  private readonly hostGroups: HostGroupController;
  private readonly capacityScaler: CapacityScaler;
  private readonly alarmEvaluator: AlarmEvaluator;
  private readonly logPruner: LogPruner;
  private readonly schedules: ScheduleRunner;

  constructor(d: LeaderRoleDeps) {
    const { store, config, log, clock, arn } = d;
    const prom = d.prometheus;
    this.orchestrator = new ServiceReconciler(store, log.child({ component: 'orchestrator' }), {
      ...DEFAULT_ORCHESTRATOR_OPTIONS,
      // A service's placements commit in one transaction that blocks the event loop: on PostgreSQL a round trip or more per task, so smaller batches (docs/design/store-backends.md).
      ...(store.db.dialect === 'postgres' ? { maxPlacementsPerTick: POSTGRES_MAX_PLACEMENTS_PER_TICK } : {}),
      instanceLostGraceMs: (config.instanceLostGraceSeconds ?? 30) * 1000,
      ...config.orchestrator,
    });
    this.orchestrator.observeTick = (s) => prom.reconcileDuration.observe(s);
    this.loadBalancing = new TargetRegistrar(store, log.child({ component: 'load-balancing' }));
    this.autoscaler = new Autoscaler(store, log.child({ component: 'autoscaler' }), clock, arn, { ...DEFAULT_AUTOSCALER_OPTIONS, ...config.autoscaling });
    const retentionMs = (config.stoppedTaskRetentionSeconds ?? DEFAULT_TASK_REAPER_OPTIONS.retentionMs / 1000) * 1000;
    this.reaper = new TaskReaper(store, log.child({ component: 'retention' }), { ...DEFAULT_TASK_REAPER_OPTIONS, retentionMs, intervalMs: reaperIntervalFor(retentionMs) });
    this.metricRetention = new MetricRetention(store, log.child({ component: 'metric-retention' }));
    const localRootDir = path.join(config.dataDir === ':memory:' ? os.tmpdir() : config.dataDir, config.dataDir === ':memory:' ? `stevedore-host-groups-${process.pid}` : 'host-groups');
    this.hostGroups = new HostGroupController(store, log.child({ component: 'host-groups' }), d.joinEndpoint, {
      ...DEFAULT_HOST_GROUP_CONTROLLER_OPTIONS,
      localRootDir,
      instanceLostGraceMs: (config.instanceLostGraceSeconds ?? 30) * 1000,
    });
    this.capacityScaler = new CapacityScaler(store, log.child({ component: 'capacity-scaler' }), {
      intervalMs: config.capacity?.scalingIntervalMs ?? 15_000,
      scaleInCooldownMs: config.capacity?.scaleInCooldownMs ?? 15 * 60_000,
    });
    this.alarmEvaluator = new AlarmEvaluator(store, log.child({ component: 'alarms' }), {
      ...DEFAULT_ALARM_EVALUATOR_OPTIONS,
      intervalMs: config.alarmEvaluationIntervalMs ?? DEFAULT_ALARM_EVALUATOR_OPTIONS.intervalMs,
    });
    const dayMs = (config.logRetentionDaySeconds ?? 86_400) * 1000;
    this.logPruner = new LogPruner(store, log.child({ component: 'log-retention' }), {
      ...DEFAULT_LOG_PRUNER_OPTIONS,
      dayMs,
      // Several passes per retention day when days are shortened (tests), at least one a minute.
      intervalMs: Math.min(DEFAULT_LOG_PRUNER_OPTIONS.intervalMs, Math.max(250, Math.floor(dayMs / 4))),
      maxStoredBytes: config.logStoreMaxBytes ?? DEFAULT_LOG_PRUNER_OPTIONS.maxStoredBytes,
    });
    // Runs are written through this term's fenced store; a deposed leader's pass fails its transaction.
    this.schedules = new ScheduleRunner(store, log.child({ component: 'schedules' }), clock, d.scheduleLaunch, DEFAULT_SCHEDULE_RUNNER_OPTIONS);
    const metricsPeriodMs = config.metrics?.periodMs ?? DEFAULT_METRIC_PUBLISHER_OPTIONS.periodMs;
    this.metrics = new MetricPublisher(store, log.child({ component: 'metrics' }), {
      ...DEFAULT_METRIC_PUBLISHER_OPTIONS,
      periodMs: metricsPeriodMs,
      // Three agent intervals (10 s by default) without a reading: the task counts as unmeasured.
      staleAfterMs: Math.max(DEFAULT_METRIC_PUBLISHER_OPTIONS.staleAfterMs, 3 * metricsPeriodMs),
      // Through the fenced store's transactions, like every leader-only write.
      sink: { put: (points) => store.tx(() => store.metrics.put(points)) },
      onSnapshot: (s) => prom.setSnapshot(s),
      observeDuration: (s) => prom.publishDuration.observe(s),
    });
  }

  start(): void {
    this.orchestrator.start();
    this.loadBalancing.start();
    this.reaper.start();
    this.metricRetention.start();
    this.autoscaler.start();
    this.hostGroups.start();
    this.capacityScaler.start();
    this.alarmEvaluator.start();
    this.logPruner.start();
    this.metrics.start();
    this.schedules.start();
  }

  /** Every loop stops scheduling work now; the promise settles once in-flight batches have ended. */
  stop(): Promise<void> {
    this.autoscaler.stop();
    this.metrics.stop();
    const reaper = this.reaper.stop();
    this.metricRetention.stop();
    this.capacityScaler.stop();
    this.hostGroups.stop();
    this.alarmEvaluator.stop();
    const pruner = this.logPruner.stop();
    const schedules = this.schedules.stop();
    this.loadBalancing.stop();
    this.orchestrator.stop();
    return Promise.all([reaper, pruner, schedules]).then(() => undefined);
  }
}
