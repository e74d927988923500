import type { Command } from 'commander';
import { STEVEDORE_TARGET_PREFIX } from '../api-client';
import { action, CliError, EXIT_USAGE, type App } from '../context';
import { printData } from '../output/structured';
import { renderTable } from '../output/table';
import { dash } from '../output/format';
import { listAllStevedore } from './iam-access-keys';

interface RoleView {
  roleName: string;
  arn: string;
  builtIn: boolean;
  description?: string;
  policyDocument: PolicyView;
  /** Service-linked roles an operator narrowed (PutRolePermissionsBoundary). */
  permissionsBoundary?: PolicyView;
}

interface PolicyView {
  Statement?: { Effect: string; Action: string[]; Resource: string[] }[];
}

const statements = (p: PolicyView) => (p.Statement ?? []).map((s) => `${s.Effect} ${s.Action.join(',')} on ${s.Resource.join(',')}`);

/** One line per statement: `Allow ecs:RunTask,ecs:StopTask on arn:...`; a boundary's statements follow, marked. */
function summarise(r: RoleView): string {
  return [...statements(r.policyDocument), ...(r.permissionsBoundary ? statements(r.permissionsBoundary).map((l) => `boundary: ${l}`) : [])].join('\n');
}

/** A policy document file (or - for standard input), checked to be JSON; the API validates the rest. */
async function readPolicy(ctx: { io: { readStdin(): Promise<string>; readFile(p: string): Promise<string> } }, file: string): Promise<string> {
  let text: string;
  try {
    text = file === '-' ? await ctx.io.readStdin() : await ctx.io.readFile(file);
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT_USAGE);
  }
  try {
    JSON.parse(text);
  } catch (e) {
    throw new CliError(`${file} is not valid JSON: ${(e as Error).message}`, EXIT_USAGE);
  }
  return text;
}

export function register(iam: Command, app: App): void {
  iam
    .command('create-role')
    .description('create a role from an IAM-style policy document (CreateRole); see examples/deployer-policy.json')
    .argument('<name>', 'role name: letters, digits and +=,.@_-')
    .requiredOption('--policy <file>', 'JSON policy document {"Statement":[{"Effect","Action","Resource"}]}, or - for standard input')
    .option('--description <text>', 'free text')
    .action(
      action<[string], { policy: string; description?: string }>(app, async (ctx, opts, name) => {
        const text = await readPolicy(ctx, opts.policy);
        // Sent as text, as IAM takes policy documents; the API validates it.
        const r = await ctx.client.call<{ role: RoleView }>(
          'CreateRole',
          { roleName: name, policyDocument: text, ...(opts.description !== undefined ? { description: opts.description } : {}) },
          STEVEDORE_TARGET_PREFIX,
        );
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(`created role ${r.role.roleName} (${r.role.arn})\n${summarise(r.role)}\n`);
      }),
    );

  iam
    .command('list-roles')
    .description('list the built-in and created roles with their policies (ListRoles)')
    .action(
      action<[], object>(app, async (ctx) => {
        const roles = await listAllStevedore<RoleView>(ctx.client, 'ListRoles', {}, 'roles');
        if (ctx.structured) return printData(ctx, { roles });
        ctx.io.stdout.write(renderTable(['ROLE', 'BUILT-IN', 'POLICY', 'DESCRIPTION'], roles.map((r) => [r.roleName, r.builtIn ? 'yes' : 'no', summarise(r), dash(r.description)])));
      }),
    );

  iam
    .command('put-role-permissions-boundary')
    .description('narrow a service-linked role (e.g. AWSServiceRoleForECS): its component may then do only what both its policy and this boundary allow (PutRolePermissionsBoundary)')
    .argument('<name>', 'service-linked role name')
    .requiredOption('--policy <file>', 'JSON policy document, or - for standard input')
    .action(
      action<[string], { policy: string }>(app, async (ctx, opts, name) => {
        const r = await ctx.client.call<{ role: RoleView }>('PutRolePermissionsBoundary', { roleName: name, permissionsBoundary: await readPolicy(ctx, opts.policy) }, STEVEDORE_TARGET_PREFIX);
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(`set the permissions boundary of ${r.role.roleName}\n`);
      }),
    );

  iam
    .command('delete-role-permissions-boundary')
    .description("remove a service-linked role's permissions boundary (DeleteRolePermissionsBoundary)")
    .argument('<name>', 'service-linked role name')
    .action(
      action<[string], object>(app, async (ctx, _opts, name) => {
        const r = await ctx.client.call<{ role: RoleView }>('DeleteRolePermissionsBoundary', { roleName: name }, STEVEDORE_TARGET_PREFIX);
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(`removed the permissions boundary of ${r.role.roleName}\n`);
      }),
    );

  iam
    .command('delete-role')
    .description('delete a created role (DeleteRole); refused while access keys use it')
    .argument('<name>', 'role name')
    .action(
      action<[string], object>(app, async (ctx, _opts, name) => {
        const r = await ctx.client.call<{ role: RoleView }>('DeleteRole', { roleName: name }, STEVEDORE_TARGET_PREFIX);
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(`deleted role ${r.role.roleName}\n`);
      }),
    );
}
