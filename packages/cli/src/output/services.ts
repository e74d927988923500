/** People's views of services: list rows, and describe with deployments, tasks per instance and recent events. */
import type { EcsContainerInstance, EcsService, EcsTask } from '../ecs-types';
import { dash, formatTime, shortId, taskDefinitionName } from './format';
import { indentBlock, renderFields, renderTable } from './table';

export function renderServiceTable(services: EcsService[]): string {
  return renderTable(
    ['SERVICE', 'STATUS', 'TASK DEFINITION', 'DESIRED', 'RUNNING', 'PENDING', 'STRATEGY'],
    services.map((s) => [s.serviceName, dash(s.status), taskDefinitionName(s.taskDefinition), dash(s.desiredCount), dash(s.runningCount), dash(s.pendingCount), dash(s.schedulingStrategy)]),
  );
}

const placementText = (s: EcsService) => {
  const strategies = (s.placementStrategy ?? []).map((p) => `${p.type}${p.field ? `(${p.field})` : ''}`).join(', ');
  return strategies || (s.schedulingStrategy === 'DAEMON' ? 'one task per instance' : 'default: spread(attribute:ecs.availability-zone), spread(instanceId)');
};

const UNABLE = /was unable to place a task|is unable to consistently start tasks|was unable to stop or start tasks/;

/**
 * The newest "unable to ..." event when nothing good happened after it: the
 * current reason the service is short of tasks.
 */
export function currentProblem(s: EcsService): string | undefined {
  for (const e of s.events ?? []) {
    if (UNABLE.test(e.message)) return e.message;
    if (/has started|has reached a steady state/.test(e.message)) return undefined;
  }
  return undefined;
}

export function renderServiceDetail(s: EcsService, tasks: EcsTask[], instances: EcsContainerInstance[], nowMs: number, events = 10): string {
  void nowMs;
  const c = s.deploymentConfiguration;
  let out = renderFields([
    ['Service', s.serviceName],
    ['ARN', dash(s.serviceArn)],
    ['Status', dash(s.status)],
    ['Task definition', taskDefinitionName(s.taskDefinition)],
    ['Desired / running / pending', `${dash(s.desiredCount)} / ${dash(s.runningCount)} / ${dash(s.pendingCount)}`],
    ['Scheduling', dash(s.schedulingStrategy)],
    ['Placement', placementText(s)],
    ['Constraints', (s.placementConstraints ?? []).map((p) => (p.expression ? `${p.type}(${p.expression})` : p.type)).join(', ') || '-'],
    ['Deployment bounds', c ? `minimum healthy ${dash(c.minimumHealthyPercent)}%, maximum ${dash(c.maximumPercent)}%` : '-'],
    ['Created', formatTime(s.createdAt)],
  ]);
  const problem = currentProblem(s);
  if (problem) out += `\nWhy tasks are missing:\n  ${problem}\n`;
  out += '\nDeployments:\n';
  out += indentBlock(
    renderTable(
      ['ID', 'STATUS', 'TASK DEFINITION', 'DESIRED', 'RUNNING', 'PENDING', 'FAILED', 'ROLLOUT'],
      (s.deployments ?? []).map((d) => [d.id, dash(d.status), taskDefinitionName(d.taskDefinition), dash(d.desiredCount), dash(d.runningCount), dash(d.pendingCount), dash(d.failedTasks), dash(d.rolloutState)]),
    ),
    '  ',
  );
  const byInstance = new Map<string, EcsTask[]>();
  for (const t of tasks) byInstance.set(t.containerInstanceArn ?? '-', [...(byInstance.get(t.containerInstanceArn ?? '-') ?? []), t]);
  out += '\nTasks per instance:\n';
  if (byInstance.size === 0) out += '  (none)\n';
  else {
    const rows = [...byInstance].map(([arn, ts]) => {
      const inst = instances.find((i) => i.containerInstanceArn === arn);
      const zone = inst?.attributes?.find((a) => a.name === 'ecs.availability-zone')?.value;
      return [
        shortId(arn),
        dash(inst?.ec2InstanceId),
        dash(zone),
        dash(inst?.status),
        String(ts.filter((t) => t.lastStatus === 'RUNNING').length),
        String(ts.filter((t) => t.lastStatus !== 'RUNNING').length),
        ts.map((t) => shortId(t.taskArn)).join(' '),
      ];
    });
    out += indentBlock(renderTable(['INSTANCE', 'HOST', 'ZONE', 'STATUS', 'RUNNING', 'PENDING', 'TASKS'], rows), '  ');
  }
  const recent = (s.events ?? []).slice(0, events);
  out += `\nRecent events (newest first):\n`;
  out += recent.length === 0 ? '  (none)\n' : recent.map((e) => `  ${formatTime(e.createdAt)}  ${e.message}\n`).join('');
  return out;
}
