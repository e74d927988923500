import type { Logger } from 'pino';
import { evaluateAlarm, minimumSamplesFor, parsePercentileStatistic, statisticValue, type AlarmDatapoint, type AlarmRule } from '@stevedore/core';
import type { Store } from '../store/store';
import type { StoredAlarm } from '../store/alarms-repo';
import type { Change } from '../store/changes';

export interface AlarmEvaluatorOptions {
  /** Every alarm is evaluated this often (CloudWatch: every minute; here 10 s by default). */
  intervalMs: number;
  /** New datapoints of a namespace wake its alarms after this gap, batching bursts of writes. */
  debounceMs: number;
}

export const DEFAULT_ALARM_EVALUATOR_OPTIONS: AlarmEvaluatorOptions = { intervalMs: 10_000, debounceMs: 200 };

/** The rule core evaluates, from an alarm's stored configuration. */
export function alarmRuleOf(a: StoredAlarm): AlarmRule {
  const c = a.config;
  const p = c.extendedStatistic === undefined ? undefined : parsePercentileStatistic(c.extendedStatistic);
  return {
    ...(p !== undefined && c.evaluateLowSampleCountPercentile === 'ignore' ? { minimumSamples: minimumSamplesFor(p) } : {}),
    periodMs: c.period * 1000,
    evaluationPeriods: c.evaluationPeriods,
    datapointsToAlarm: c.datapointsToAlarm ?? c.evaluationPeriods,
    threshold: c.threshold,
    comparisonOperator: c.comparisonOperator,
    treatMissingData: c.treatMissingData ?? 'missing',
    statistic: c.statistic ?? c.extendedStatistic ?? 'Average',
  };
}

/**
 * The alarm evaluator role: loads each alarm's datapoints over its
 * evaluation range from the metric store, asks core's pure `evaluateAlarm`
 * for the state, and writes a change (with its history item and the
 * `alarm-state` change event) only when the state differs. Periodic, so
 * missing data is noticed when nothing is written; also woken (debounced)
 * by new datapoints in an alarm's namespace and by alarm configuration
 * changes, so an alarm reacts within moments of the point that crosses it.
 * A state write is conditional on the state it evaluated from: a
 * SetAlarmState in between wins until the next evaluation.
 */
export class AlarmEvaluator {
  private timer: NodeJS.Timeout | undefined;
  private wake: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly dirtyNamespaces = new Set<string>();
  private readonly dirtyAlarms = new Set<string>();
  private stopped = true;
  /** Evaluations run since start (tests, benchmarks). */
  evaluations = 0;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly opts: AlarmEvaluatorOptions = DEFAULT_ALARM_EVALUATOR_OPTIONS,
  ) {}

  start(): void {
    this.stopped = false;
    this.unsubscribe = this.store.changes.on((c) => this.onChange(c));
    const loop = () => {
      this.timer = undefined;
      try {
        this.evaluateAll();
      } catch (e) {
        this.log.error({ err: e }, 'alarm evaluation failed; retrying next pass');
      }
      if (!this.stopped) this.timer = setTimeout(loop, this.opts.intervalMs);
    };
    loop();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    clearTimeout(this.wake);
    this.timer = this.wake = undefined;
  }

  private onChange(c: Change): void {
    if (c.kind === 'metric-data') this.dirtyNamespaces.add(c.namespace);
    else if (c.kind === 'alarm') this.dirtyAlarms.add(c.alarmName);
    else return;
    if (this.wake || this.stopped) return;
    this.wake = setTimeout(() => {
      this.wake = undefined;
      const namespaces = [...this.dirtyNamespaces];
      const names = [...this.dirtyAlarms];
      this.dirtyNamespaces.clear();
      this.dirtyAlarms.clear();
      try {
        const now = this.store.clock.now();
        for (const ns of namespaces) for (const a of this.store.alarms.list({ namespace: ns }, '', 100_000)) this.evaluate(a, now);
        for (const name of names) {
          const a = this.store.alarms.get(name);
          if (a) this.evaluate(a, now);
        }
      } catch (e) {
        this.log.error({ err: e }, 'alarm evaluation failed; the periodic pass retries');
      }
    }, this.opts.debounceMs);
  }

  /** Evaluates every alarm once. */
  evaluateAll(): void {
    const now = this.store.clock.now();
    let after = '';
    for (;;) {
      const page = this.store.alarms.list({}, after, 500);
      for (const a of page) this.evaluate(a, now);
      if (page.length < 500) break;
      after = page[page.length - 1]!.name;
    }
  }

  /** One alarm: its datapoints, the pure decision, and a state write only on a change. */
  evaluate(alarm: StoredAlarm, now: number): void {
    this.evaluations++;
    const rule = alarmRuleOf(alarm);
    const c = alarm.config;
    const current = Math.floor(now / rule.periodMs) * rule.periodMs;
    const start = current - (rule.evaluationPeriods + 2) * rule.periodMs;
    const metric = { namespace: c.namespace, metricName: c.metricName, dimensions: c.dimensions };
    const unitOk = c.unit === undefined || (this.store.metrics.find(metric)?.unit ?? 'None') === c.unit;
    const buckets = unitOk ? this.store.metrics.statistics({ ...metric, start, end: current + rule.periodMs, periodMs: rule.periodMs, nowMs: now }) : [];
    const datapoints: AlarmDatapoint[] = [];
    for (const b of buckets) {
      const value = statisticValue(rule.statistic, b.stats, b.values);
      if (value !== undefined) datapoints.push({ timestamp: b.timestamp, value, sampleCount: b.stats.sampleCount });
    }
    const r = evaluateAlarm(rule, datapoints, alarm.stateValue, now);
    if (!r.changed) return;
    const written = this.store.tx(() => this.store.alarms.setState(alarm.name, r.state, r.reason, JSON.stringify(r.reasonData), now, alarm.stateValue));
    if (written) this.log.info({ alarm: alarm.name, from: alarm.stateValue, to: r.state, reason: r.reason }, `alarm ${alarm.stateValue} -> ${r.state} (${r.reason})`);
  }
}
