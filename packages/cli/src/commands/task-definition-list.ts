import type { Command } from 'commander';
import { Option } from 'commander';
import { action, type App } from '../context';
import { printData } from '../output/structured';
import { renderTable } from '../output/table';
import { taskDefinitionName } from '../output/format';
import { listAll } from '../paging';

interface Opts {
  familyPrefix?: string;
  status?: string;
}

export function register(parent: Command, app: App): void {
  parent
    .command('list')
    .description('list task definition revisions (ListTaskDefinitions)')
    .option('--family-prefix <prefix>', 'only families starting with this')
    .addOption(new Option('--status <status>', 'revision status').choices(['ACTIVE', 'INACTIVE']))
    .action(
      action<[], Opts>(app, async (ctx, opts) => {
        const body: Record<string, unknown> = {};
        if (opts.familyPrefix !== undefined) body.familyPrefix = opts.familyPrefix;
        if (opts.status !== undefined) body.status = opts.status;
        const arns = await listAll(ctx.client, 'ListTaskDefinitions', body, 'taskDefinitionArns');
        if (ctx.structured) return printData(ctx, { taskDefinitionArns: arns });
        if (arns.length === 0) {
          ctx.io.stderr.write('no task definitions\n');
          return;
        }
        const rows = arns.map((arn) => {
          const name = taskDefinitionName(arn);
          const i = name.lastIndexOf(':');
          return [name, name.slice(0, i), name.slice(i + 1), arn];
        });
        ctx.io.stdout.write(renderTable(['TASK DEFINITION', 'FAMILY', 'REVISION', 'ARN'], rows));
      }),
    );
}
