import type { Command } from 'commander';
import { action, CliError, EXIT_USAGE, type App } from '../context';
import { printData } from '../output/structured';
import { shortId } from '../output/format';
import { renderTable } from '../output/table';

interface Attr {
  name: string;
  value?: string;
  targetId?: string;
}

/** `name=value`, or `name` alone for an attribute without a value. */
export function parseAttribute(s: string): { name: string; value?: string } {
  const i = s.indexOf('=');
  if (i === 0) throw new CliError(`attribute ${JSON.stringify(s)}: expected name=value`, EXIT_USAGE);
  return i < 0 ? { name: s } : { name: s.slice(0, i), value: s.slice(i + 1) };
}

export function register(parent: Command, app: App): void {
  parent
    .command('put')
    .description('set custom attributes on a container instance, at most 10 per instance (PutAttributes)')
    .argument('<instance>', 'container instance id or ARN')
    .argument('<attributes...>', 'name=value pairs')
    .action(
      action<[string, string[]], object>(app, async (ctx, _opts, instance, pairs) => {
        const attributes = pairs.map(parseAttribute).map((a) => ({ ...a, targetType: 'container-instance', targetId: instance }));
        const r = await ctx.client.call<{ attributes?: Attr[] }>('PutAttributes', { cluster: ctx.cluster, attributes });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(renderAttributes(r.attributes ?? []));
      }),
    );
  parent
    .command('delete')
    .description('remove custom attributes from a container instance (DeleteAttributes)')
    .argument('<instance>', 'container instance id or ARN')
    .argument('<names...>', 'attribute names')
    .action(
      action<[string, string[]], object>(app, async (ctx, _opts, instance, names) => {
        const attributes = names.map((name) => ({ name, targetType: 'container-instance', targetId: instance }));
        const r = await ctx.client.call<{ attributes?: Attr[] }>('DeleteAttributes', { cluster: ctx.cluster, attributes });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(renderAttributes(r.attributes ?? []));
      }),
    );
  parent
    .command('list')
    .description('attributes of the cluster\'s instances, built-in and custom (ListAttributes)')
    .option('--name <name>', 'only this attribute')
    .option('--value <value>', 'only this value (with --name)')
    .action(
      action<[], { name?: string; value?: string }>(app, async (ctx, opts) => {
        const body: Record<string, unknown> = { cluster: ctx.cluster, targetType: 'container-instance' };
        if (opts.name !== undefined) body.attributeName = opts.name;
        if (opts.value !== undefined) body.attributeValue = opts.value;
        const all: Attr[] = [];
        let nextToken: string | undefined;
        do {
          const page: { attributes?: Attr[]; nextToken?: string } = await ctx.client.call('ListAttributes', nextToken ? { ...body, nextToken } : body);
          all.push(...(page.attributes ?? []));
          nextToken = page.nextToken;
        } while (nextToken);
        if (ctx.structured) return printData(ctx, { attributes: all });
        ctx.io.stdout.write(renderAttributes(all));
      }),
    );
}

function renderAttributes(attrs: Attr[]): string {
  return renderTable(['INSTANCE', 'NAME', 'VALUE'], attrs.map((a) => [shortId(a.targetId), a.name, a.value ?? '']));
}
