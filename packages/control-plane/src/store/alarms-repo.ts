import type { AlarmStateValue, ArnContext, ComparisonOperator, Dimension, TreatMissingData } from '@stevedore/core';
import type { Change } from './changes';
import type { Db } from './db';
import { statementCache } from './statement-cache';

/** PutMetricAlarm's configuration, normalised (periods in seconds, as CloudWatch shows them). */
export interface AlarmConfig {
  alarmDescription?: string;
  actionsEnabled: boolean;
  okActions: string[];
  alarmActions: string[];
  insufficientDataActions: string[];
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  statistic?: string;
  extendedStatistic?: string;
  period: number;
  unit?: string;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  threshold: number;
  comparisonOperator: ComparisonOperator;
  treatMissingData?: TreatMissingData;
  evaluateLowSampleCountPercentile?: string;
}

export interface StoredAlarm {
  name: string;
  arn: string;
  config: AlarmConfig;
  stateValue: AlarmStateValue;
  stateReason: string;
  stateReasonData: string | undefined;
  stateUpdatedAt: number;
  stateTransitionedAt: number;
  configurationUpdatedAt: number;
  evaluatedAt: number | undefined;
}

export type HistoryItemType = 'ConfigurationUpdate' | 'StateUpdate' | 'Action';

export interface AlarmHistoryItem {
  seq: number;
  alarmName: string;
  timestamp: number;
  type: HistoryItemType;
  summary: string;
  data: string;
}

export interface AlarmFilter {
  names?: readonly string[];
  namePrefix?: string;
  stateValue?: AlarmStateValue;
  /** Alarms with an action (OK, ALARM or INSUFFICIENT_DATA) starting with it. */
  actionPrefix?: string;
  namespace?: string;
  metricName?: string;
}

type AlarmRow = {
  name: string;
  config: string;
  state_value: AlarmStateValue;
  state_reason: string;
  state_reason_data: string | null;
  state_updated_at: number;
  state_transitioned_at: number;
  configuration_updated_at: number;
  evaluated_at: number | null;
};

/** A new alarm's state until its first evaluation, in CloudWatch's words. */
export const INITIAL_STATE_REASON = 'Unchecked: Initial alarm creation';

/**
 * Metric alarms and their history (docs/design/metrics.md). Writers: the
 * CloudWatch API (configuration, SetAlarmState), the alarm evaluator
 * (state), the autoscaling role (Action history items). Every state change
 * writes a StateUpdate history item and emits `{ kind: 'alarm-state' }`
 * after commit; configuration changes emit `{ kind: 'alarm' }`.
 */
export class AlarmsRepo {
  private readonly sql: ReturnType<typeof statementCache>;

  constructor(private readonly db: Db, private readonly record: (c: Change) => void, private readonly arn: ArnContext) {
    this.sql = statementCache(db);
  }

  arnOf(name: string): string {
    return `arn:aws:cloudwatch:${this.arn.region}:${this.arn.account}:alarm:${name}`;
  }

  count(): number {
    return (this.sql('SELECT COUNT(*) AS n FROM metric_alarms').get() as { n: number }).n;
  }

  /** Creates or replaces an alarm's configuration; an existing alarm keeps its state (as in CloudWatch). */
  put(name: string, config: AlarmConfig, now: number): { created: boolean } {
    return this.db.transaction(() => {
      const existing = this.get(name);
      if (existing) {
        this.sql('UPDATE metric_alarms SET config = ?, namespace = ?, metric_name = ?, configuration_updated_at = ? WHERE name = ?').run(JSON.stringify(config), config.namespace, config.metricName, now, name);
      } else {
        this
          .sql(
            `INSERT INTO metric_alarms(name, namespace, metric_name, config, state_value, state_reason, state_updated_at, state_transitioned_at, configuration_updated_at)
             VALUES (?, ?, ?, ?, 'INSUFFICIENT_DATA', ?, ?, ?, ?)`,
          )
          .run(name, config.namespace, config.metricName, JSON.stringify(config), INITIAL_STATE_REASON, now, now, now);
      }
      const type = existing ? 'Update' : 'Create';
      this.addHistory(name, now, 'ConfigurationUpdate', `Alarm "${name}" ${existing ? 'updated' : 'created'}`, { version: '1.0', type, [existing ? 'updatedAlarm' : 'createdAlarm']: config });
      this.record({ kind: 'alarm', alarmName: name });
      return { created: !existing };
    })();
  }

  get(name: string): StoredAlarm | undefined {
    const row = this.sql('SELECT * FROM metric_alarms WHERE name = ?').get(name) as AlarmRow | undefined;
    return row && this.fromRow(row);
  }

  /** Alarms matching a filter, by name, after `afterName` (paging), at most `limit`. */
  list(filter: AlarmFilter, afterName: string, limit: number): StoredAlarm[] {
    const rows = this
      .sql(
        `SELECT * FROM metric_alarms WHERE name > @after
           AND (@names IS NULL OR name IN (SELECT value FROM json_each(@names)))
           AND (@prefix IS NULL OR substr(name, 1, length(@prefix)) = @prefix)
           AND (@state IS NULL OR state_value = @state)
           AND (@ns IS NULL OR namespace = @ns) AND (@metric IS NULL OR metric_name = @metric)
         ORDER BY name`,
      )
      .iterate({
        after: afterName,
        names: filter.names ? JSON.stringify(filter.names) : null,
        prefix: filter.namePrefix ?? null,
        state: filter.stateValue ?? null,
        ns: filter.namespace ?? null,
        metric: filter.metricName ?? null,
      }) as IterableIterator<AlarmRow>;
    const out: StoredAlarm[] = [];
    for (const row of rows) {
      const a = this.fromRow(row);
      const prefix = filter.actionPrefix;
      if (prefix !== undefined && ![...a.config.okActions, ...a.config.alarmActions, ...a.config.insufficientDataActions].some((x) => x.startsWith(prefix))) continue;
      out.push(a);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Alarms in `state` whose actions for that state name `actionArn`, with
   * actions enabled: what the role carrying out an action (autoscaling: a
   * scaling policy's ARN) reads at each of its ticks. Level-triggered, as
   * CloudWatch re-invokes Auto Scaling actions every minute an alarm stays
   * in the state.
   */
  actingOn(actionArn: string, state: AlarmStateValue = 'ALARM'): StoredAlarm[] {
    const key = state === 'ALARM' ? 'alarmActions' : state === 'OK' ? 'okActions' : 'insufficientDataActions';
    return this.list({ stateValue: state, actionPrefix: actionArn }, '', 100_000).filter((a) => a.config.actionsEnabled && a.config[key].includes(actionArn));
  }

  /** Names among `names` that do not exist. */
  missing(names: readonly string[]): string[] {
    return names.filter((n) => !this.get(n));
  }

  delete(names: readonly string[], now: number): void {
    this.db.transaction(() => {
      for (const name of names) {
        if (this.sql('DELETE FROM metric_alarms WHERE name = ?').run(name).changes === 0) continue;
        this.addHistory(name, now, 'ConfigurationUpdate', `Alarm "${name}" deleted`, { version: '1.0', type: 'Delete' });
        this.record({ kind: 'alarm', alarmName: name });
      }
    })();
  }

  setActionsEnabled(names: readonly string[], enabled: boolean, now: number): void {
    this.db.transaction(() => {
      for (const name of names) {
        const a = this.get(name);
        if (!a || a.config.actionsEnabled === enabled) continue;
        const config = { ...a.config, actionsEnabled: enabled };
        this.sql('UPDATE metric_alarms SET config = ?, configuration_updated_at = ? WHERE name = ?').run(JSON.stringify(config), now, name);
        this.addHistory(name, now, 'ConfigurationUpdate', `Alarm "${name}" updated`, { version: '1.0', type: 'Update', updatedAlarm: config });
        this.record({ kind: 'alarm', alarmName: name });
      }
    })();
  }

  /**
   * Moves an alarm to a state (evaluation or SetAlarmState): a StateUpdate
   * history item and an `alarm-state` change. A no-op (false) when the alarm
   * is gone or `onlyFrom` is given and the alarm is no longer in it (an
   * evaluation raced a SetAlarmState or a delete).
   */
  setState(name: string, state: AlarmStateValue, reason: string, reasonData: string | undefined, now: number, onlyFrom?: AlarmStateValue): boolean {
    return this.db.transaction(() => {
      const a = this.get(name);
      if (!a || (onlyFrom !== undefined && a.stateValue !== onlyFrom)) return false;
      const transitioned = a.stateValue !== state;
      this
        .sql('UPDATE metric_alarms SET state_value = ?, state_reason = ?, state_reason_data = ?, state_updated_at = ?, state_transitioned_at = ? WHERE name = ?')
        .run(state, reason, reasonData ?? null, now, transitioned ? now : a.stateTransitionedAt, name);
      const newState: Record<string, unknown> = { stateValue: state, stateReason: reason };
      if (reasonData !== undefined) newState['stateReasonData'] = JSON.parse(reasonData) as unknown;
      this.addHistory(name, now, 'StateUpdate', `Alarm updated from ${a.stateValue} to ${state}`, {
        version: '1.0',
        oldState: { stateValue: a.stateValue, stateReason: a.stateReason },
        newState,
      });
      this.record({ kind: 'alarm-state', alarmName: name });
      return true;
    })();
  }

  /** Notes that an evaluation ran without changing the state. */
  markEvaluated(name: string, now: number): void {
    this.sql('UPDATE metric_alarms SET evaluated_at = ? WHERE name = ?').run(now, name);
  }

  /** An Action history item ("Successfully executed action arn:..."): for the role that carries out alarm actions. */
  recordAction(name: string, summary: string, data: Record<string, unknown>, now: number): void {
    this.addHistory(name, now, 'Action', summary, data);
  }

  history(filter: { alarmName?: string; type?: HistoryItemType; start?: number; end?: number; ascending?: boolean }, afterSeq: number | undefined, limit: number): AlarmHistoryItem[] {
    const asc = filter.ascending ?? false;
    const rows = this
      .sql(
        `SELECT * FROM alarm_history WHERE (@name IS NULL OR alarm_name = @name) AND (@type IS NULL OR item_type = @type)
           AND ts >= @start AND ts <= @end AND (@after IS NULL OR seq ${asc ? '>' : '<'} @after)
         ORDER BY seq ${asc ? 'ASC' : 'DESC'} LIMIT @limit`,
      )
      .all({ name: filter.alarmName ?? null, type: filter.type ?? null, start: filter.start ?? 0, end: filter.end ?? Number.MAX_SAFE_INTEGER, after: afterSeq ?? null, limit }) as {
      seq: number;
      alarm_name: string;
      ts: number;
      item_type: HistoryItemType;
      summary: string;
      data: string;
    }[];
    return rows.map((r) => ({ seq: r.seq, alarmName: r.alarm_name, timestamp: r.ts, type: r.item_type, summary: r.summary, data: r.data }));
  }

  /** Deletes up to `limit` history items older than `before`; returns how many. */
  pruneHistory(before: number, limit: number): number {
    return this.sql('DELETE FROM alarm_history WHERE seq IN (SELECT seq FROM alarm_history WHERE ts < ? LIMIT ?)').run(before, limit).changes;
  }

  private addHistory(name: string, now: number, type: HistoryItemType, summary: string, data: Record<string, unknown>): void {
    this.sql('INSERT INTO alarm_history(alarm_name, ts, item_type, summary, data) VALUES (?, ?, ?, ?, ?)').run(name, now, type, summary, JSON.stringify(data));
  }

  private fromRow(r: AlarmRow): StoredAlarm {
    return {
      name: r.name,
      arn: this.arnOf(r.name),
      config: JSON.parse(r.config) as AlarmConfig,
      stateValue: r.state_value,
      stateReason: r.state_reason,
      stateReasonData: r.state_reason_data ?? undefined,
      stateUpdatedAt: r.state_updated_at,
      stateTransitionedAt: r.state_transitioned_at,
      configurationUpdatedAt: r.configuration_updated_at,
      evaluatedAt: r.evaluated_at ?? undefined,
    };
  }
}
