import { InvalidArgumentError, type Command } from 'commander';
import { action, parseIntOption, type App } from '../context';
import type { TasksResponse } from '../ecs-types';
import { addLaunchOptions, finishLaunch, launchRequest, type LaunchFlags } from '../task-launch';
import { strategyItem } from './capacity-provider';

interface Opts extends LaunchFlags {
  count: number;
  launchType?: string;
  capacityProvider?: { capacityProvider: string; weight?: number; base?: number }[];
  platformVersion?: string;
  subnets?: string[];
  securityGroups?: string[];
  assignPublicIp?: boolean;
}

const list = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean);

function launchType(v: string): string {
  if (v !== 'EC2' && v !== 'FARGATE') throw new InvalidArgumentError('expected EC2 or FARGATE');
  return v;
}

/** RunTask's launch members (FARGATE and awsvpc: docs/design/fargate.md). */
function launchMembers(o: Opts): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (o.launchType !== undefined) body['launchType'] = o.launchType;
  if (o.capacityProvider !== undefined) body['capacityProviderStrategy'] = o.capacityProvider;
  if (o.platformVersion !== undefined) body['platformVersion'] = o.platformVersion;
  if (o.subnets !== undefined || o.securityGroups !== undefined || o.assignPublicIp) {
    body['networkConfiguration'] = {
      awsvpcConfiguration: { subnets: o.subnets ?? [], ...(o.securityGroups ? { securityGroups: o.securityGroups } : {}), ...(o.assignPublicIp ? { assignPublicIp: 'ENABLED' } : {}) },
    };
  }
  return body;
}

export function register(program: Command, app: App): void {
  const cmd = program
    .command('run-task')
    .description('start tasks from a task definition, placed by the scheduler (RunTask)')
    .argument('<task-definition>', 'FAMILY, FAMILY:REVISION or ARN')
    .option('--count <n>', 'number of tasks, 1-10', parseIntOption('--count', 1, 10), 1)
    .option('--launch-type <type>', 'EC2 or FARGATE (the cluster\'s FARGATE pool, task size enforced)', launchType)
    .option('--capacity-provider <NAME[:WEIGHT[:BASE]]>', 'capacity provider strategy item, repeatable (FARGATE, FARGATE_SPOT)', strategyItem)
    .option('--platform-version <version>', 'FARGATE platform version (LATEST or 1.4.0)')
    .option('--subnets <ids>', 'awsvpc: comma-separated subnet ids (recorded; required for awsvpc task definitions)', list)
    .option('--security-groups <ids>', 'awsvpc: comma-separated security group ids (recorded)', list)
    .option('--assign-public-ip', 'awsvpc: assignPublicIp ENABLED (recorded)');
  addLaunchOptions(cmd).action(
    action<[string], Opts>(app, async (ctx, opts, taskDefinition) => {
      const body = { ...launchRequest(ctx, taskDefinition, opts), ...launchMembers(opts), count: opts.count };
      const r = await ctx.client.call<TasksResponse>('RunTask', body);
      return finishLaunch(ctx, r, opts);
    }),
  );
}
