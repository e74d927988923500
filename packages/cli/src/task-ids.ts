/**
 * Short task ids, as tables show them (the first 12 characters of the 32-hex
 * id, like docker's container ids): a command given a prefix resolves it to
 * the one task of the cluster whose id starts with it (running tasks first,
 * then those stopped within the retention), or says it is ambiguous.
 */
import { CliError, EXIT_USAGE, type CommandContext } from './context';
import { listAll } from './paging';

export const SHORT_ID_LENGTH = 12;

/** A prefix worth resolving: 4 to 31 hex characters; ids, ARNs and names pass through. */
export function isTaskIdPrefix(ref: string): boolean {
  return /^[0-9a-f]{4,31}$/.test(ref);
}

export async function resolveTaskRef(ctx: Pick<CommandContext, 'client' | 'cluster'>, ref: string): Promise<string> {
  if (!isTaskIdPrefix(ref)) return ref;
  const matches = new Set<string>();
  for (const desiredStatus of ['RUNNING', 'STOPPED']) {
    const arns = await listAll(ctx.client, 'ListTasks', { cluster: ctx.cluster, desiredStatus }, 'taskArns');
    for (const arn of arns) if (arn.slice(arn.lastIndexOf('/') + 1).startsWith(ref)) matches.add(arn);
    if (matches.size > 0) break;
  }
  if (matches.size === 1) return [...matches][0]!;
  if (matches.size > 1) throw new CliError(`task id ${ref} is ambiguous: ${[...matches].map((a) => a.slice(a.lastIndexOf('/') + 1)).join(', ')}`, EXIT_USAGE);
  // Not a prefix of any task: let the API say what it says about it.
  return ref;
}
