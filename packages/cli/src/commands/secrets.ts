import type { Command } from 'commander';
import { ApiError } from '../api-client';
import { action, CliError, EXIT_USAGE, parseIntOption, type App } from '../context';
import { printData } from '../output/structured';
import { renderTable } from '../output/table';

/** The Secrets Manager JSON protocol's target prefix (its operations are signed for service "secretsmanager"). */
const SM = 'secretsmanager';

interface SecretEntry {
  ARN: string;
  Name: string;
  Description?: string;
  LastChangedDate?: number;
}

const iso = (s: number | undefined) => (s === undefined ? '-' : new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));

export function register(program: Command, app: App): void {
  const secrets = program.command('secrets').description('the secrets store (Secrets Manager API): values for task definition secrets and repositoryCredentials');

  secrets
    .command('put')
    .description('create a secret, or store a new value for it (CreateSecret / PutSecretValue); the value comes from --value, --from-file or stdin')
    .argument('<name>', 'secret name (letters, digits and /_+=.@-)')
    .option('--value <value>', 'the value (visible in your shell history: prefer --from-file or stdin)')
    .option('--from-file <file>', 'read the value from a file, as is')
    .option('--description <text>', 'description (on creation)')
    .action(
      action<[string], { value?: string; fromFile?: string; description?: string }>(app, async (ctx, opts, name) => {
        if (opts.value !== undefined && opts.fromFile !== undefined) throw new CliError('give --value or --from-file, not both', EXIT_USAGE);
        // stdin: one trailing newline (from echo or a heredoc) is not part of the value.
        const value = opts.value ?? (opts.fromFile !== undefined ? await ctx.io.readFile(opts.fromFile) : (await ctx.io.readStdin()).replace(/\r?\n$/, ''));
        if (value === '') throw new CliError('the value is empty', EXIT_USAGE);
        let r: { ARN: string; Name: string; VersionId: string };
        let created = true;
        try {
          r = await ctx.client.call('CreateSecret', { Name: name, SecretString: value, ...(opts.description ? { Description: opts.description } : {}) }, SM);
        } catch (e) {
          if (!(e instanceof ApiError) || e.type !== 'ResourceExistsException') throw e;
          created = false;
          r = await ctx.client.call('PutSecretValue', { SecretId: name, SecretString: value }, SM);
        }
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(`${created ? 'created' : 'updated'} secret ${r.Name}\n${r.ARN}\n`);
      }),
    );

  secrets
    .command('get')
    .description('print a secret\'s value (GetSecretValue)')
    .argument('<name>', 'secret name or ARN')
    .action(
      action<[string], object>(app, async (ctx, _opts, name) => {
        const r = await ctx.client.call<{ SecretString: string }>('GetSecretValue', { SecretId: name }, SM);
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(`${r.SecretString}\n`);
      }),
    );

  secrets
    .command('list')
    .description('list secrets, never their values (ListSecrets)')
    .action(
      action<[], object>(app, async (ctx) => {
        const all: SecretEntry[] = [];
        let next: string | undefined;
        do {
          const page = await ctx.client.call<{ SecretList: SecretEntry[]; NextToken?: string }>('ListSecrets', next ? { NextToken: next } : {}, SM);
          all.push(...page.SecretList);
          next = page.NextToken;
        } while (next);
        if (ctx.structured) return printData(ctx, { SecretList: all });
        if (all.length === 0) ctx.io.stderr.write('no secrets\n');
        else ctx.io.stdout.write(renderTable(['NAME', 'LAST CHANGED', 'ARN'], all.map((s) => [s.Name, iso(s.LastChangedDate), s.ARN])));
      }),
    );

  secrets
    .command('delete')
    .description('delete a secret (DeleteSecret): at once, or after a recovery window')
    .argument('<name>', 'secret name or ARN')
    .option('--recovery-window-days <days>', 'keep it recoverable this long (7-30) instead of deleting it now', parseIntOption('--recovery-window-days', 7, 30))
    .action(
      action<[string], { recoveryWindowDays?: number }>(app, async (ctx, opts, name) => {
        const body = opts.recoveryWindowDays !== undefined ? { SecretId: name, RecoveryWindowInDays: opts.recoveryWindowDays } : { SecretId: name, ForceDeleteWithoutRecovery: true };
        const r = await ctx.client.call<{ Name: string; DeletionDate: number }>('DeleteSecret', body, SM);
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(opts.recoveryWindowDays !== undefined ? `secret ${r.Name} will be deleted at ${iso(r.DeletionDate)}\n` : `deleted secret ${r.Name}\n`);
      }),
    );
}
