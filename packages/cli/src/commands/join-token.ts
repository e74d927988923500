import { InvalidArgumentError, type Command } from 'commander';
import { STEVEDORE_TARGET_PREFIX } from '../api-client';
import { action, parseIntOption, type App } from '../context';
import { printData } from '../output/structured';
import { renderFields, renderTable } from '../output/table';

interface JoinToken {
  joinTokenId: string;
  cluster: string;
  status: string;
  createdAt?: number;
  expiresAt?: number;
  uses?: number;
  maxUses?: number;
}

/** `1h`, `30m`, `90s`, `2d` or plain seconds. */
export function parseTtl(value: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(value.trim());
  const seconds = m ? Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'] : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1) throw new InvalidArgumentError('--ttl must be a duration like 90s, 30m, 1h or 2d.');
  return seconds;
}

const iso = (epochSeconds: number | undefined) => (epochSeconds === undefined ? '-' : new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));

export function register(cluster: Command, app: App): void {
  const parent = cluster.command('join-token').description('tokens that let new hosts join a cluster (their agents get a certificate with it)');

  parent
    .command('create')
    .description('create a join token for --cluster (CreateJoinToken); prints the token and the CA hash agents pin')
    .option('--ttl <duration>', 'how long the token can be used: 90s, 30m, 1h, 2d (default 1h)', parseTtl)
    .option('--uses <n>', 'how many hosts may join with it (default 1: one token per host)', parseIntOption('--uses', 1, 100_000), 1)
    .action(
      action<[], { ttl?: number; uses?: number }>(app, async (ctx, opts) => {
        const r = await ctx.client.call<{ token: string; caCertHash: string; expiresAt: number; joinToken: JoinToken }>(
          'CreateJoinToken',
          { cluster: ctx.cluster, ...(opts.ttl !== undefined ? { ttlSeconds: opts.ttl } : {}), uses: opts.uses ?? 1 },
          STEVEDORE_TARGET_PREFIX,
        );
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(
          renderFields([
            ['token', r.token],
            ['ca-cert-hash', r.caCertHash],
            ['cluster', r.joinToken.cluster],
            ['expires', iso(r.expiresAt)],
            ['uses', r.joinToken.maxUses === undefined ? 'unlimited' : String(r.joinToken.maxUses)],
          ]),
        );
        ctx.io.stdout.write(
          `\nOn the new host (the token is shown only now; keep it secret):\n  stevedore-agent --control-plane CONTROL_PLANE:8443 --cluster ${r.joinToken.cluster} --host-ip HOST_IP --data-dir /var/lib/stevedore/agent \\\n    --token ${r.token} --ca-cert-hash ${r.caCertHash}\n`,
        );
      }),
    );

  parent
    .command('list')
    .description("list the cluster's join tokens (ListJoinTokens); never shows their secrets")
    .action(
      action<[], object>(app, async (ctx) => {
        const tokens: JoinToken[] = [];
        let caCertHash = '';
        let nextToken: string | undefined;
        do {
          const page = await ctx.client.call<{ joinTokens: JoinToken[]; caCertHash: string; nextToken?: string }>(
            'ListJoinTokens',
            { cluster: ctx.cluster, ...(nextToken ? { nextToken } : {}) },
            STEVEDORE_TARGET_PREFIX,
          );
          tokens.push(...page.joinTokens);
          caCertHash = page.caCertHash;
          nextToken = page.nextToken;
        } while (nextToken);
        if (ctx.structured) return printData(ctx, { joinTokens: tokens, caCertHash });
        if (tokens.length === 0) ctx.io.stderr.write(`no join tokens in cluster ${ctx.cluster}\n`);
        else ctx.io.stdout.write(renderTable(['ID', 'STATUS', 'USES', 'EXPIRES'], tokens.map((t) => [t.joinTokenId, t.status, `${t.uses ?? 0}/${t.maxUses ?? '∞'}`, iso(t.expiresAt)])));
        ctx.io.stdout.write(`ca-cert-hash: ${caCertHash}\n`);
      }),
    );

  parent
    .command('revoke')
    .description('revoke a join token (RevokeJoinToken); hosts that already joined keep their certificates')
    .argument('<id>', 'join token id (or the whole token)')
    .action(
      action<[string], object>(app, async (ctx, _opts, id) => {
        const r = await ctx.client.call<{ joinToken: JoinToken }>('RevokeJoinToken', { joinTokenId: id }, STEVEDORE_TARGET_PREFIX);
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(`revoked join token ${r.joinToken.joinTokenId} (cluster ${r.joinToken.cluster})\n`);
      }),
    );
}
