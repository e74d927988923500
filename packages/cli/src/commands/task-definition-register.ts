import type { Command } from 'commander';
import { action, CliError, EXIT_USAGE, type App } from '../context';
import type { TaskDefinition } from '../ecs-types';
import { printData } from '../output/structured';
import { renderTaskDefinition } from './task-definition-describe';

/** Fields DescribeTaskDefinition returns that RegisterTaskDefinition does not take. */
const READ_ONLY = ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy', 'deregisteredAt'];

/**
 * Accepts a plain RegisterTaskDefinition request, or the output of
 * `task-definition describe --output json` (`{"taskDefinition": {...}}`), so a
 * described revision can be edited and registered again.
 */
export function toRegisterRequest(doc: unknown): Record<string, unknown> {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new CliError('the task definition file must hold a JSON object', EXIT_USAGE);
  }
  const obj = doc as Record<string, unknown>;
  const wrapped = obj.taskDefinition;
  if (typeof wrapped !== 'object' || wrapped === null || 'containerDefinitions' in obj) return obj;
  const req: Record<string, unknown> = { ...(wrapped as Record<string, unknown>) };
  for (const k of READ_ONLY) delete req[k];
  if (Array.isArray(obj.tags) && obj.tags.length > 0) req.tags = obj.tags;
  return req;
}

export function register(parent: Command, app: App): void {
  parent
    .command('register')
    .description('register a new revision from an ECS task definition JSON file (RegisterTaskDefinition)')
    .argument('<file>', 'path to the JSON file, or - for standard input')
    .action(
      action<[string], object>(app, async (ctx, _opts, file) => {
        let text: string;
        try {
          text = file === '-' ? await ctx.io.readStdin() : await ctx.io.readFile(file);
        } catch (e) {
          throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT_USAGE);
        }
        let doc: unknown;
        try {
          doc = JSON.parse(text);
        } catch (e) {
          throw new CliError(`${file} is not valid JSON: ${(e as Error).message}`, EXIT_USAGE);
        }
        const r = await ctx.client.call<{ taskDefinition: TaskDefinition }>('RegisterTaskDefinition', toRegisterRequest(doc));
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(`registered ${r.taskDefinition.family}:${r.taskDefinition.revision}\n`);
        ctx.io.stdout.write(renderTaskDefinition(r.taskDefinition, ctx.io.now()));
      }),
    );
}
