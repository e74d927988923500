/** People's views of ECS tasks: a one-line-per-task table and a describe view. */
import type { EcsTask, Failure } from '../ecs-types';
import type { Writer } from '../context';
import {
  dash,
  formatAge,
  formatContainerState,
  formatTaskBindings,
  formatTimeWithAge,
  bindingUrl,
  clusterName,
  shortId,
  taskDefinitionName,
} from './format';
import { indentBlock, renderFields, renderTable } from './table';

export function renderTaskTable(tasks: EcsTask[], nowMs: number): string {
  const rows = tasks.map((t) => [
    shortId(t.taskArn),
    taskDefinitionName(t.taskDefinitionArn),
    dash(t.lastStatus),
    dash(t.desiredStatus),
    dash(t.healthStatus),
    (t.containers ?? []).map(formatContainerState).join(', ') || '-',
    formatTaskBindings(t).join(', ') || '-',
    formatAge(t.startedAt ?? t.createdAt, nowMs),
  ]);
  return renderTable(['TASK', 'DEFINITION', 'STATUS', 'DESIRED', 'HEALTH', 'CONTAINERS', 'PORTS', 'AGE'], rows);
}

export function renderTaskDetail(t: EcsTask, nowMs: number): string {
  const fields: [string, string][] = [
    ['Task', shortId(t.taskArn)],
    ['ARN', t.taskArn],
    ['Cluster', clusterName(t.clusterArn)],
    ['Task definition', taskDefinitionName(t.taskDefinitionArn)],
    ['Container instance', shortId(t.containerInstanceArn)],
    ['Status', `${dash(t.lastStatus)} (desired ${dash(t.desiredStatus)})`],
    ['Health', dash(t.healthStatus)],
    ['CPU / memory', `${dash(t.cpu)} / ${dash(t.memory)}`],
    ['Started by', dash(t.startedBy)],
    ['Group', dash(t.group)],
    ['Created', formatTimeWithAge(t.createdAt, nowMs)],
    ['Started', formatTimeWithAge(t.startedAt, nowMs)],
  ];
  if (t.stoppingAt !== undefined) fields.push(['Stopping', formatTimeWithAge(t.stoppingAt, nowMs)]);
  if (t.stoppedAt !== undefined) fields.push(['Stopped', formatTimeWithAge(t.stoppedAt, nowMs)]);
  if (t.stopCode !== undefined) fields.push(['Stop code', t.stopCode]);
  if (t.stoppedReason !== undefined) fields.push(['Stopped reason', t.stoppedReason]);
  const containers = renderTable(
    ['NAME', 'STATUS', 'EXIT', 'HEALTH', 'PORTS', 'RUNTIME ID', 'REASON'],
    (t.containers ?? []).map((c) => [
      c.name,
      dash(c.lastStatus),
      dash(c.exitCode),
      dash(c.healthStatus),
      (c.networkBindings ?? []).map((b) => `${bindingUrl(b)} (${b.containerPort ?? '?'})`).join(', ') || '-',
      c.runtimeId ? c.runtimeId.slice(0, 12) : '-',
      dash(c.reason),
    ]),
  );
  return renderFields(fields) + 'Containers:\n' + indentBlock(containers, '  ');
}

/** failures[] go to stderr in every output format: they are diagnostics. */
export function printFailures(err: Writer, failures: Failure[] | undefined): void {
  for (const f of failures ?? []) {
    const what = f.arn ? `${shortId(f.arn)}: ` : '';
    err.write(`failure: ${what}${f.reason ?? 'unknown reason'}${f.detail ? ` (${f.detail})` : ''}\n`);
  }
}
