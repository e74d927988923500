import type { Command } from 'commander';
import { action, CliError, type App } from '../context';
import { printData } from '../output/structured';
import { renderTable } from '../output/table';
import { dash, formatTime } from '../output/format';
import { CLOUDWATCH_TARGET_PREFIX } from './metrics';

interface MetricAlarm {
  AlarmName: string;
  AlarmArn?: string;
  StateValue?: string;
  StateReason?: string;
  StateUpdatedTimestamp?: number;
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name: string; Value: string }[];
  Statistic?: string;
  ExtendedStatistic?: string;
  Period?: number;
  EvaluationPeriods?: number;
  DatapointsToAlarm?: number;
  Threshold?: number;
  ComparisonOperator?: string;
  TreatMissingData?: string;
  AlarmActions?: string[];
  OKActions?: string[];
  ActionsEnabled?: boolean;
}

const OPERATORS: Record<string, string> = {
  GreaterThanOrEqualToThreshold: '>=',
  GreaterThanThreshold: '>',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '<=',
};

export function condition(a: MetricAlarm): string {
  const op = OPERATORS[a.ComparisonOperator ?? ''] ?? a.ComparisonOperator ?? '?';
  return `${a.Statistic ?? a.ExtendedStatistic ?? '?'} ${a.MetricName ?? '?'} ${op} ${a.Threshold ?? '?'} for ${a.DatapointsToAlarm ?? a.EvaluationPeriods ?? '?'}/${a.EvaluationPeriods ?? '?'} x ${a.Period ?? '?'}s`;
}

export function register(program: Command, app: App): void {
  const alarm = program.command('alarm').description('CloudWatch alarms: their state and what they watch (DescribeAlarms)');
  alarm
    .command('list')
    .description('every metric alarm with its state')
    .option('--state <state>', 'only alarms in this state: OK, ALARM or INSUFFICIENT_DATA')
    .option('--prefix <name>', 'only alarms whose name starts with this')
    .action(
      action<[], { state?: string; prefix?: string }>(app, async (ctx, opts) => {
        const alarms: MetricAlarm[] = [];
        let token: string | undefined;
        do {
          const res = await ctx.client.call<{ MetricAlarms?: MetricAlarm[]; NextToken?: string }>(
            'DescribeAlarms',
            { ...(opts.state ? { StateValue: opts.state } : {}), ...(opts.prefix ? { AlarmNamePrefix: opts.prefix } : {}), ...(token ? { NextToken: token } : {}) },
            CLOUDWATCH_TARGET_PREFIX,
          );
          alarms.push(...(res.MetricAlarms ?? []));
          token = res.NextToken;
        } while (token);
        if (ctx.structured) return printData(ctx, { MetricAlarms: alarms });
        if (alarms.length === 0) {
          ctx.io.stderr.write('no alarms\n');
          return;
        }
        ctx.io.stdout.write(renderTable(['NAME', 'STATE', 'CONDITION', 'SINCE'], alarms.map((a) => [a.AlarmName, dash(a.StateValue), condition(a), formatTime(a.StateUpdatedTimestamp)])));
      }),
    );
  alarm
    .command('describe')
    .description('one alarm: what it watches, its state and reason, its actions and recent history')
    .argument('<name>', 'alarm name')
    .action(
      action<[string], object>(app, async (ctx, _opts, name) => {
        const res = await ctx.client.call<{ MetricAlarms?: MetricAlarm[] }>('DescribeAlarms', { AlarmNames: [name] }, CLOUDWATCH_TARGET_PREFIX);
        const a = res.MetricAlarms?.[0];
        if (!a) throw new CliError(`alarm ${name} not found`);
        const history = await ctx.client.call<{ AlarmHistoryItems?: { Timestamp?: number; HistoryItemType?: string; HistorySummary?: string }[] }>(
          'DescribeAlarmHistory',
          { AlarmName: name, MaxRecords: 10, ScanBy: 'TimestampDescending' },
          CLOUDWATCH_TARGET_PREFIX,
        );
        if (ctx.structured) return printData(ctx, { alarm: a, history: history.AlarmHistoryItems ?? [] });
        const dims = (a.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(', ');
        const lines = [
          `Name:        ${a.AlarmName}`,
          `State:       ${dash(a.StateValue)} since ${formatTime(a.StateUpdatedTimestamp)}`,
          `Reason:      ${dash(a.StateReason)}`,
          `Metric:      ${dash(a.Namespace)} ${dash(a.MetricName)}${dims ? ` (${dims})` : ''}`,
          `Condition:   ${condition(a)}`,
          `Missing data: ${dash(a.TreatMissingData ?? 'missing')}`,
          `Actions:     ${a.ActionsEnabled === false ? '(disabled) ' : ''}${(a.AlarmActions ?? []).join(', ') || '-'}`,
          '',
        ];
        ctx.io.stdout.write(lines.join('\n'));
        const items = history.AlarmHistoryItems ?? [];
        if (items.length > 0) ctx.io.stdout.write('\n' + renderTable(['TIME', 'TYPE', 'SUMMARY'], items.map((h) => [formatTime(h.Timestamp), dash(h.HistoryItemType), dash(h.HistorySummary)])));
      }),
    );
}
