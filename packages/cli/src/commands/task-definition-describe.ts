import type { Command } from 'commander';
import { action, type App } from '../context';
import type { TaskDefinition } from '../ecs-types';
import { printData } from '../output/structured';
import { indentBlock, renderFields, renderTable } from '../output/table';
import { dash, formatTimeWithAge } from '../output/format';

function ports(c: TaskDefinition['containerDefinitions'][number]): string {
  const list = (c.portMappings ?? []).map((p) => `${p.hostPort ? p.hostPort : 'dynamic'}->${p.containerPort ?? '?'}/${p.protocol ?? 'tcp'}`);
  return list.join(', ') || '-';
}

export function renderTaskDefinition(td: TaskDefinition, nowMs: number): string {
  const fields: [string, string][] = [
    ['Family', td.family],
    ['Revision', String(td.revision)],
    ['ARN', td.taskDefinitionArn],
    ['Status', dash(td.status)],
    ['Network mode', dash(td.networkMode)],
    ['CPU / memory', `${dash(td.cpu)} / ${dash(td.memory)}`],
    ['Registered', formatTimeWithAge(td.registeredAt, nowMs)],
  ];
  const containers = renderTable(
    ['NAME', 'IMAGE', 'ESSENTIAL', 'CPU', 'MEMORY', 'PORTS', 'COMMAND'],
    (td.containerDefinitions ?? []).map((c) => [
      c.name,
      c.image,
      c.essential === false ? 'no' : 'yes',
      dash(c.cpu),
      c.memory !== undefined ? String(c.memory) : c.memoryReservation !== undefined ? `${c.memoryReservation} (soft)` : '-',
      ports(c),
      c.command ? JSON.stringify(c.command) : '-',
    ]),
  );
  return renderFields(fields) + 'Containers:\n' + indentBlock(containers, '  ');
}

export function register(parent: Command, app: App): void {
  parent
    .command('describe')
    .description('show a task definition revision (DescribeTaskDefinition); the latest ACTIVE one without :REV')
    .argument('<task-definition>', 'FAMILY, FAMILY:REVISION or ARN')
    .action(
      action<[string], object>(app, async (ctx, _opts, name) => {
        const r = await ctx.client.call<{ taskDefinition: TaskDefinition }>('DescribeTaskDefinition', { taskDefinition: name, include: ['TAGS'] });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(renderTaskDefinition(r.taskDefinition, ctx.io.now()));
      }),
    );
}
