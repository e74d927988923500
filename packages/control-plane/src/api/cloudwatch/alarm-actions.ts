import { COMPARISON_OPERATORS, isStatistic, StevedoreError, TREAT_MISSING_DATA, type AlarmStateValue, type ComparisonOperator, type TreatMissingData } from '@stevedore/core';
import type { RequestContext } from '../context';
import type { AlarmConfig, AlarmHistoryItem, HistoryItemType, StoredAlarm } from '../../store/alarms-repo';
import { combination, decodeToken, dimensionsOf, encodeToken, invalid, list, missingParameter, num, percentileStatistic, period, str, time, type Input } from './cloudwatch-input';

/** CloudWatch's default quota of alarms per region. */
export const MAX_ALARMS = 10_000;
const MAX_ACTIONS = 5;

function actions(v: unknown, field: string): string[] {
  const xs = list<string>(v);
  if (xs.length > MAX_ACTIONS) throw invalid(`The collection ${field} must not have a size greater than ${MAX_ACTIONS}.`, field);
  xs.forEach((a, i) => {
    if (!/^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$/.test(a)) throw invalid(`Invalid arn syntax: ${a}`, `${field}.member.${i + 1}`);
  });
  return xs;
}

/** PutMetricAlarm: creates an alarm in INSUFFICIENT_DATA, or replaces the configuration of one (its state is kept). */
export function putMetricAlarm(ctx: RequestContext, body: unknown): Record<string, never> {
  const input = body as Input;
  const name = str(input['AlarmName'])!;
  if (input['Metrics'] !== undefined) throw invalid('Metric math alarms (Metrics) are not supported by Stevedore: alarm on one metric with MetricName and Namespace.', 'Metrics');
  if (input['ThresholdMetricId'] !== undefined) throw invalid('Anomaly detection alarms (ThresholdMetricId) are not supported by Stevedore.', 'ThresholdMetricId');
  const namespace = str(input['Namespace']);
  const metricName = str(input['MetricName']);
  if (metricName === undefined) throw missingParameter('MetricName');
  if (namespace === undefined) throw missingParameter('Namespace');
  const statistic = str(input['Statistic']);
  const extended = str(input['ExtendedStatistic']);
  if ((statistic === undefined) === (extended === undefined)) throw combination('Exactly one of the parameters Statistic and ExtendedStatistic must be specified.', statistic === undefined ? 'Statistic' : 'ExtendedStatistic');
  if (statistic !== undefined && !isStatistic(statistic)) throw invalid(`The value ${statistic} for parameter Statistic is invalid.`, 'Statistic');
  if (extended !== undefined) percentileStatistic(extended, 'ExtendedStatistic');
  const periodS = period(input['Period'], 'Period');
  const evaluationPeriods = num(input['EvaluationPeriods'])!;
  const maxSpan = periodS >= 3600 ? 7 * 86_400 : 86_400;
  if (periodS * evaluationPeriods > maxSpan) throw invalid(`The value for parameter Period multiplied by EvaluationPeriods must be less than or equal to ${maxSpan}.`, 'EvaluationPeriods');
  const datapointsToAlarm = num(input['DatapointsToAlarm']);
  if (datapointsToAlarm !== undefined && datapointsToAlarm > evaluationPeriods) {
    throw invalid('DatapointsToAlarm must be less than or equal to EvaluationPeriods.', 'DatapointsToAlarm');
  }
  const op = str(input['ComparisonOperator'])!;
  if (!(COMPARISON_OPERATORS as readonly string[]).includes(op)) throw invalid(`The value ${op} for parameter ComparisonOperator is not supported by Stevedore (anomaly detection bands are not).`, 'ComparisonOperator');
  const threshold = num(input['Threshold']);
  if (threshold === undefined) throw missingParameter('Threshold');
  const treat = str(input['TreatMissingData']);
  if (treat !== undefined && !(TREAT_MISSING_DATA as readonly string[]).includes(treat)) {
    throw invalid(`The value ${treat} for parameter TreatMissingData is invalid: expected one of ${TREAT_MISSING_DATA.join(', ')}.`, 'TreatMissingData');
  }
  const lowSample = str(input['EvaluateLowSampleCountPercentile']);
  if (lowSample !== undefined && lowSample !== 'evaluate' && lowSample !== 'ignore') throw invalid(`The value ${lowSample} for parameter EvaluateLowSampleCountPercentile is invalid: expected evaluate or ignore.`, 'EvaluateLowSampleCountPercentile');
  if (lowSample !== undefined && extended === undefined) throw combination('EvaluateLowSampleCountPercentile applies only to alarms on an ExtendedStatistic.', 'EvaluateLowSampleCountPercentile');
  const config: AlarmConfig = {
    actionsEnabled: input['ActionsEnabled'] !== false,
    okActions: actions(input['OKActions'], 'OKActions'),
    alarmActions: actions(input['AlarmActions'], 'AlarmActions'),
    insufficientDataActions: actions(input['InsufficientDataActions'], 'InsufficientDataActions'),
    namespace,
    metricName,
    dimensions: dimensionsOf(input['Dimensions'], 'Dimensions'),
    period: periodS,
    evaluationPeriods,
    threshold,
    comparisonOperator: op as ComparisonOperator,
  };
  const description = str(input['AlarmDescription']);
  if (description !== undefined) config.alarmDescription = description;
  if (statistic !== undefined) config.statistic = statistic;
  if (extended !== undefined) config.extendedStatistic = extended;
  const unit = str(input['Unit']);
  if (unit !== undefined) config.unit = unit;
  if (datapointsToAlarm !== undefined) config.datapointsToAlarm = datapointsToAlarm;
  if (treat !== undefined) config.treatMissingData = treat as TreatMissingData;
  if (lowSample !== undefined) config.evaluateLowSampleCountPercentile = lowSample;
  ctx.store.tx(() => {
    if (!ctx.store.alarms.get(name) && ctx.store.alarms.count() >= MAX_ALARMS) {
      throw new StevedoreError('LimitExceeded', `The maximum of ${MAX_ALARMS} alarms has been reached.`, { field: 'AlarmName' });
    }
    ctx.store.alarms.put(name, config, ctx.clock.now());
  });
  return {};
}

/** The MetricAlarm shape. */
export function metricAlarmOf(a: StoredAlarm): Record<string, unknown> {
  const c = a.config;
  return {
    AlarmName: a.name,
    AlarmArn: a.arn,
    AlarmDescription: c.alarmDescription,
    AlarmConfigurationUpdatedTimestamp: new Date(a.configurationUpdatedAt),
    ActionsEnabled: c.actionsEnabled,
    OKActions: c.okActions,
    AlarmActions: c.alarmActions,
    InsufficientDataActions: c.insufficientDataActions,
    StateValue: a.stateValue,
    StateReason: a.stateReason,
    StateReasonData: a.stateReasonData,
    StateUpdatedTimestamp: new Date(a.stateUpdatedAt),
    MetricName: c.metricName,
    Namespace: c.namespace,
    Statistic: c.statistic,
    ExtendedStatistic: c.extendedStatistic,
    Dimensions: c.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
    Period: c.period,
    Unit: c.unit,
    EvaluationPeriods: c.evaluationPeriods,
    DatapointsToAlarm: c.datapointsToAlarm,
    Threshold: c.threshold,
    ComparisonOperator: c.comparisonOperator,
    TreatMissingData: c.treatMissingData,
    EvaluateLowSampleCountPercentile: c.evaluateLowSampleCountPercentile,
    StateTransitionedTimestamp: new Date(a.stateTransitionedAt),
  };
}

function maxRecords(input: Input, dflt: number): number {
  return num(input['MaxRecords']) ?? dflt;
}

export function describeAlarms(ctx: RequestContext, body: unknown): unknown {
  const input = body as Input;
  const names = list<string>(input['AlarmNames']);
  const prefix = str(input['AlarmNamePrefix']);
  if (names.length > 0 && prefix !== undefined) throw combination('The parameters AlarmNames and AlarmNamePrefix are mutually exclusive.', 'AlarmNamePrefix');
  const types = list<string>(input['AlarmTypes']);
  const state = str(input['StateValue']) as AlarmStateValue | undefined;
  const actionPrefix = str(input['ActionPrefix']);
  const limit = maxRecords(input, 50);
  const after = decodeToken<string>(input['NextToken'], 'string') ?? '';
  // Composite alarms do not exist here: asking only for them finds nothing.
  const wantMetric = types.length === 0 || types.includes('MetricAlarm');
  const page = wantMetric
    ? ctx.store.alarms.list(
        {
          ...(names.length > 0 ? { names } : {}),
          ...(prefix !== undefined ? { namePrefix: prefix } : {}),
          ...(state !== undefined ? { stateValue: state } : {}),
          ...(actionPrefix !== undefined ? { actionPrefix } : {}),
        },
        after,
        limit + 1,
      )
    : [];
  const result: Record<string, unknown> = { MetricAlarms: page.slice(0, limit).map(metricAlarmOf), CompositeAlarms: [] };
  if (page.length > limit) result['NextToken'] = encodeToken(page[limit - 1]!.name);
  return result;
}

export function describeAlarmsForMetric(ctx: RequestContext, body: unknown): unknown {
  const input = body as Input;
  const namespace = str(input['Namespace'])!;
  const metricName = str(input['MetricName'])!;
  const dims = input['Dimensions'] === undefined ? undefined : dimensionsOf(input['Dimensions'], 'Dimensions');
  const key = (ds: { name: string; value: string }[]) => JSON.stringify([...ds].sort((a, b) => (a.name < b.name ? -1 : 1)));
  const alarms = ctx.store.alarms.list({ namespace, metricName }, '', 10_000).filter((a) => {
    const c = a.config;
    if (dims !== undefined && key(c.dimensions) !== key(dims)) return false;
    if (input['Statistic'] !== undefined && c.statistic !== input['Statistic']) return false;
    if (input['ExtendedStatistic'] !== undefined && c.extendedStatistic !== input['ExtendedStatistic']) return false;
    if (input['Period'] !== undefined && c.period !== input['Period']) return false;
    if (input['Unit'] !== undefined && c.unit !== input['Unit']) return false;
    return true;
  });
  return { MetricAlarms: alarms.map(metricAlarmOf) };
}

function existingNames(ctx: RequestContext, input: Input): string[] {
  const names = list<string>(input['AlarmNames']);
  const missing = ctx.store.alarms.missing(names);
  if (missing.length > 0) throw new StevedoreError('ResourceNotFound', `The alarm(s) ${missing.join(', ')} do not exist.`, { field: 'AlarmNames' });
  return names;
}

/** DeleteAlarms: all or nothing, as CloudWatch (an unknown name deletes none). */
export function deleteAlarms(ctx: RequestContext, body: unknown): Record<string, never> {
  ctx.store.tx(() => ctx.store.alarms.delete(existingNames(ctx, body as Input), ctx.clock.now()));
  return {};
}

export function enableAlarmActions(ctx: RequestContext, body: unknown): Record<string, never> {
  ctx.store.tx(() => ctx.store.alarms.setActionsEnabled(existingNames(ctx, body as Input), true, ctx.clock.now()));
  return {};
}

export function disableAlarmActions(ctx: RequestContext, body: unknown): Record<string, never> {
  ctx.store.tx(() => ctx.store.alarms.setActionsEnabled(existingNames(ctx, body as Input), false, ctx.clock.now()));
  return {};
}

/** SetAlarmState: until the next evaluation, which may set it back (as in CloudWatch). */
export function setAlarmState(ctx: RequestContext, body: unknown): Record<string, never> {
  const input = body as Input;
  const name = str(input['AlarmName'])!;
  const reasonData = str(input['StateReasonData']);
  if (reasonData !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(reasonData);
    } catch {
      throw new StevedoreError('InvalidFormat', 'StateReasonData is not valid JSON.', { field: 'StateReasonData' });
    }
    if (parsed === null || typeof parsed !== 'object') throw new StevedoreError('InvalidFormat', 'StateReasonData must be a JSON object.', { field: 'StateReasonData' });
  }
  ctx.store.tx(() => {
    if (!ctx.store.alarms.get(name)) throw new StevedoreError('ResourceNotFound', `Alarm ${name} not found`, { field: 'AlarmName' });
    ctx.store.alarms.setState(name, str(input['StateValue']) as AlarmStateValue, str(input['StateReason'])!, reasonData, ctx.clock.now());
  });
  return {};
}

function historyItemOf(h: AlarmHistoryItem): Record<string, unknown> {
  return { AlarmName: h.alarmName, AlarmType: 'MetricAlarm', Timestamp: new Date(h.timestamp), HistoryItemType: h.type, HistorySummary: h.summary, HistoryData: h.data };
}

export function describeAlarmHistory(ctx: RequestContext, body: unknown): unknown {
  const input = body as Input;
  const limit = maxRecords(input, 100);
  const name = str(input['AlarmName']);
  const type = str(input['HistoryItemType']);
  const types = list<string>(input['AlarmTypes']);
  if (types.length > 0 && !types.includes('MetricAlarm')) return { AlarmHistoryItems: [] };
  // Composite alarm history types do not occur here.
  if (type !== undefined && !['ConfigurationUpdate', 'StateUpdate', 'Action'].includes(type)) return { AlarmHistoryItems: [] };
  const start = time(input['StartDate']);
  const end = time(input['EndDate']);
  if (start !== undefined && end !== undefined && start > end) throw invalid('The parameter StartDate must be less than or equal to the parameter EndDate.', 'StartDate');
  const after = decodeToken<number>(input['NextToken'], 'number');
  const items = ctx.store.alarms.history(
    {
      ...(name !== undefined ? { alarmName: name } : {}),
      ...(type !== undefined ? { type: type as HistoryItemType } : {}),
      ...(start !== undefined ? { start } : {}),
      ...(end !== undefined ? { end } : {}),
      ascending: str(input['ScanBy']) === 'TimestampAscending',
    },
    after,
    limit + 1,
  );
  const result: Record<string, unknown> = { AlarmHistoryItems: items.slice(0, limit).map(historyItemOf) };
  if (items.length > limit) result['NextToken'] = encodeToken(items[limit - 1]!.seq);
  return result;
}
