import type { Command } from 'commander';
import { STEVEDORE_TARGET_PREFIX, type ApiClient } from '../api-client';
import { action, type App } from '../context';
import { printData } from '../output/structured';
import { renderTable } from '../output/table';
import { dash, formatTime } from '../output/format';

export interface AccessKeyView {
  accessKeyId: string;
  roleName: string;
  status: string;
  createDate?: number;
  description?: string;
}

/** Every page of a Stevedore_20261125 List* operation. */
export async function listAllStevedore<T>(client: ApiClient, operation: string, body: object, key: string): Promise<T[]> {
  const out: T[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.call<Record<string, unknown>>(operation, nextToken ? { ...body, nextToken } : body, STEVEDORE_TARGET_PREFIX);
    if (Array.isArray(page[key])) out.push(...(page[key] as T[]));
    const next = typeof page.nextToken === 'string' && page.nextToken !== '' ? page.nextToken : undefined;
    nextToken = next !== nextToken ? next : undefined;
  } while (nextToken !== undefined);
  return out;
}

export function register(iam: Command, app: App): void {
  iam
    .command('create-access-key')
    .description('create an access key for a role (CreateAccessKey); the secret is printed this once, as a shared-credentials profile')
    .requiredOption('--role <name>', 'role of the key: admin, read-only or one made with iam create-role')
    .option('--description <text>', 'free text, e.g. who or what uses the key')
    .option('--profile-name <name>', 'profile name in the printed credentials block', 'default')
    .action(
      action<[], { role: string; description?: string; profileName: string }>(app, async (ctx, opts) => {
        const r = await ctx.client.call<{ accessKey: AccessKeyView & { secretAccessKey: string } }>(
          'CreateAccessKey',
          { roleName: opts.role, ...(opts.description !== undefined ? { description: opts.description } : {}) },
          STEVEDORE_TARGET_PREFIX,
        );
        if (ctx.structured) return printData(ctx, r);
        const k = r.accessKey;
        ctx.io.stderr.write(`created access key ${k.accessKeyId} with role ${k.roleName}; the secret is shown only now. Save the block below in a file (mode 0600) and point AWS_SHARED_CREDENTIALS_FILE at it:\n`);
        ctx.io.stdout.write(`[${opts.profileName}]\naws_access_key_id = ${k.accessKeyId}\naws_secret_access_key = ${k.secretAccessKey}\n`);
      }),
    );

  iam
    .command('list-access-keys')
    .description('list access keys and their roles, never their secrets (ListAccessKeys)')
    .option('--role <name>', 'only the keys of this role')
    .action(
      action<[], { role?: string }>(app, async (ctx, opts) => {
        const keys = await listAllStevedore<AccessKeyView>(ctx.client, 'ListAccessKeys', opts.role !== undefined ? { roleName: opts.role } : {}, 'accessKeys');
        if (ctx.structured) return printData(ctx, { accessKeys: keys });
        if (keys.length === 0) return void ctx.io.stderr.write('no access keys\n');
        ctx.io.stdout.write(renderTable(['ACCESS KEY ID', 'ROLE', 'STATUS', 'CREATED', 'DESCRIPTION'], keys.map((k) => [k.accessKeyId, k.roleName, k.status, formatTime(k.createDate), dash(k.description)])));
      }),
    );

  iam
    .command('delete-access-key')
    .description('delete an access key (DeleteAccessKey); requests signed with it are refused from then on')
    .argument('<access-key-id>', 'the AKIA... id')
    .action(
      action<[string], object>(app, async (ctx, _opts, id) => {
        const r = await ctx.client.call<{ accessKey: AccessKeyView }>('DeleteAccessKey', { accessKeyId: id }, STEVEDORE_TARGET_PREFIX);
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(`deleted access key ${r.accessKey.accessKeyId} (role ${r.accessKey.roleName})\n`);
      }),
    );
}
