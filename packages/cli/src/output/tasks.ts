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
import { SHORT_ID_LENGTH } from '../task-ids';

/**
 * One line per task that fits 100 columns: the short id (12 characters, which
 * task commands accept), the status with `>STOPPED` when it is being stopped,
 * the first host:port binding (+N more), the exit code of a stopped task.
 * `task describe` shows the rest.
 */
export function renderTaskTable(tasks: EcsTask[], nowMs: number): string {
  const rows = tasks.map((t) => {
    const ports = hostPorts(t);
    const status = t.desiredStatus && t.lastStatus !== t.desiredStatus && t.lastStatus !== 'STOPPED' ? `${dash(t.lastStatus)}>${t.desiredStatus}` : dash(t.lastStatus);
    const exit = t.lastStatus === 'STOPPED' ? (t.containers ?? []).find((c) => c.exitCode !== undefined && c.exitCode !== null)?.exitCode : undefined;
    return [
      shortId(t.taskArn).slice(0, SHORT_ID_LENGTH),
      truncate(taskDefinitionName(t.taskDefinitionArn), 24),
      exit !== undefined ? `${status}(${exit})` : status,
      t.healthStatus && t.healthStatus !== 'UNKNOWN' ? t.healthStatus : '-',
      ports.length === 0 ? '-' : ports.length === 1 ? ports[0]! : `${ports[0]} +${ports.length - 1}`,
      formatAge(t.startedAt ?? t.createdAt, nowMs),
    ];
  });
  return renderTable(['TASK', 'DEFINITION', 'STATUS', 'HEALTH', 'PORTS', 'AGE'], rows);
}

/** `127.0.0.2:32768->8080` for each binding (udp marked), as `docker ps` shows them. */
function hostPorts(t: EcsTask): string[] {
  return (t.containers ?? []).flatMap((c) =>
    (c.networkBindings ?? []).map((b) => `${b.bindIP && b.bindIP.includes(':') ? `[${b.bindIP}]` : (b.bindIP ?? '0.0.0.0')}:${b.hostPort ?? '?'}->${b.containerPort ?? '?'}${b.protocol === 'udp' ? '/udp' : ''}`),
  );
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
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
