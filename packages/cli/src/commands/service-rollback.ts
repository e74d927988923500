import type { Command } from 'commander';
import { action, CliError, parseIntOption, type App, type CommandContext } from '../context';
import type { EcsService } from '../ecs-types';
import { describeService } from '../deploy-watch';
import { listAll } from '../paging';
import { taskDefinitionName } from '../output/format';
import { deployRevision } from './deploy';

interface Opts {
  wait: boolean;
  timeout: number;
}

/**
 * The revision before the service's current one: the revision an older
 * deployment still runs (a rollout in progress), else the family's newest
 * ACTIVE revision below the current one.
 */
export async function previousRevision(ctx: CommandContext, service: EcsService): Promise<string> {
  const current = service.taskDefinition ?? '';
  const older = (service.deployments ?? []).find((d) => d.status !== 'PRIMARY' && d.taskDefinition && d.taskDefinition !== current);
  if (older?.taskDefinition) return older.taskDefinition;
  const m = /task-definition\/([^:]+):(\d+)$/.exec(current);
  if (!m) throw new CliError(`cannot tell the revision of ${current}`);
  const [, family, revision] = m;
  const arns = await listAll(ctx.client, 'ListTaskDefinitions', { familyPrefix: family, status: 'ACTIVE', sort: 'DESC' }, 'taskDefinitionArns');
  const prev = arns
    .map((a) => ({ a, m: /task-definition\/([^:]+):(\d+)$/.exec(a) }))
    .filter((x) => x.m && x.m[1] === family && Number(x.m[2]) < Number(revision))
    .sort((x, y) => Number(y.m![2]) - Number(x.m![2]))[0];
  if (!prev) throw new CliError(`${family}:${revision} has no earlier ACTIVE revision to roll back to`);
  return prev.a;
}

export function register(parent: Command, app: App): void {
  parent
    .command('rollback')
    .description('deploy the previous revision of a service and follow it (UpdateService)')
    .argument('<service>', 'service name or ARN')
    .option('--no-wait', 'start the deployment and exit')
    .option('--timeout <seconds>', 'give up following after this long (0 = until the deployment ends); exit code 124', parseIntOption('--timeout', 0), 0)
    .action(
      action<[string], Opts>(app, async (ctx, opts, name) => {
        const service = await describeService(ctx.client, ctx.cluster, name);
        if (service.status !== 'ACTIVE') throw new CliError(`service ${service.serviceName} is ${service.status ?? 'not ACTIVE'}`);
        const target = await previousRevision(ctx, service);
        if (!ctx.structured) ctx.io.stderr.write(`rolling back ${service.serviceName} from ${taskDefinitionName(service.taskDefinition)} to ${taskDefinitionName(target)}\n`);
        return deployRevision(ctx, service, target, opts);
      }),
    );
}
