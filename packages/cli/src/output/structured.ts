/**
 * Structured output: `-o json` / `-o yaml`, `--query` (JMESPath applied to the
 * JSON document, as the AWS CLI does) and `-q` (identifiers only, one a line,
 * as `docker ps -q`). Every command that has a machine-readable answer prints
 * it through `printData`, so these global options work everywhere the same way.
 */
import * as jmespath from 'jmespath';
import { stringify as toYaml } from 'yaml';
import { CliError, EXIT_USAGE, type CommandContext } from '../context';

export type StructuredFormat = 'json' | 'yaml';

/** Compiles `--query` once, before any API call, so a typo is a usage error and not a wasted request. */
export function checkQuery(expression: string): void {
  try {
    // The typings omit compile(); the library exports it (a parse without a search).
    (jmespath as unknown as { compile(e: string): unknown }).compile(expression);
  } catch (e) {
    throw new CliError(`--query is not a valid JMESPath expression: ${(e as Error).message}`, EXIT_USAGE);
  }
}

export function applyQuery(value: unknown, expression: string | undefined): unknown {
  if (expression === undefined) return value;
  try {
    return jmespath.search(value, expression) as unknown;
  } catch (e) {
    throw new CliError(`--query failed: ${(e as Error).message}`, EXIT_USAGE);
  }
}

export function renderStructured(value: unknown, format: StructuredFormat): string {
  if (format === 'yaml') {
    // `null` as a document (a query that matched nothing) prints as `null`, as the AWS CLI's yaml output.
    return toYaml(value ?? null, { lineWidth: 0 });
  }
  return JSON.stringify(value ?? null, null, 2) + '\n';
}

const ARRAY_KEYS_NOT_RESULTS = new Set(['failures', 'Failures']);

/**
 * The identifiers in an API answer, for `-q`: each item of its result list (or
 * its one result object) by ARN, else by id or name. Lists of strings
 * (`taskArns`) are already identifiers.
 */
export function idsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => (typeof v === 'string' ? [v] : idOfItem(v, undefined)));
  if (value === null || typeof value !== 'object') return value === undefined || value === null ? [] : [String(value)];
  const obj = value as Record<string, unknown>;
  const lists = Object.keys(obj).filter((k) => Array.isArray(obj[k]) && !ARRAY_KEYS_NOT_RESULTS.has(k));
  if (lists.length > 0) {
    return lists.flatMap((k) => (obj[k] as unknown[]).flatMap((v) => (typeof v === 'string' ? [v] : idOfItem(v, k))));
  }
  const objects = Object.keys(obj).filter((k) => obj[k] !== null && typeof obj[k] === 'object');
  if (objects.length === 1) return idOfItem(obj[objects[0]!], objects[0]);
  return idOfItem(obj, undefined);
}

function idOfItem(item: unknown, key: string | undefined): string[] {
  if (item === null || typeof item !== 'object') return item === undefined || item === null ? [] : [String(item)];
  const o = item as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => typeof o[k] === 'string' && o[k] !== '');
  const singular = key?.replace(/ies$/, 'y').replace(/s$/, '').toLowerCase();
  const pick =
    keys.find((k) => singular !== undefined && k.toLowerCase() === `${singular}arn`) ??
    keys.find((k) => /arn$/i.test(k)) ??
    keys.find((k) => /(^|[a-z])id$/i.test(k)) ??
    keys.find((k) => /name$/i.test(k));
  return pick ? [o[pick] as string] : [];
}

/**
 * Prints a command's answer in the format asked for. Failures stay in the
 * answer for json/yaml (they are part of the API's reply); with `-q` they go
 * to stderr so standard output stays a clean list of identifiers.
 */
export function printData(ctx: Pick<CommandContext, 'io' | 'format' | 'query' | 'quiet'>, value: unknown): void {
  if (ctx.quiet) {
    const failures = (value as { failures?: { arn?: string; reason?: string }[] } | null)?.failures;
    for (const f of Array.isArray(failures) ? failures : []) ctx.io.stderr.write(`failure: ${f.arn ?? ''} ${f.reason ?? ''}\n`);
    const ids = idsOf(applyQuery(value, ctx.query));
    if (ids.length > 0) ctx.io.stdout.write(ids.join('\n') + '\n');
    return;
  }
  ctx.io.stdout.write(renderStructured(applyQuery(value, ctx.query), ctx.format === 'yaml' ? 'yaml' : 'json'));
}
