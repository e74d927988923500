/** nextToken paging for List* calls and 100-item batches for Describe* calls. */
import type { ApiClient } from './api-client';
import type { Failure } from './ecs-types';
import { CliError } from './context';

/** Follows nextToken until the server stops sending one. */
export async function listAll(client: ApiClient, operation: string, body: object, key: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  let nextToken: string | undefined;
  do {
    const page = await client.call<Record<string, unknown>>(operation, nextToken ? { ...body, nextToken } : body);
    const items = page[key];
    if (Array.isArray(items)) out.push(...(items as string[]));
    nextToken = typeof page.nextToken === 'string' && page.nextToken !== '' ? page.nextToken : undefined;
    // A server that hands back a token it already gave would loop forever.
    if (nextToken !== undefined) {
      if (seen.has(nextToken)) throw new CliError(`${operation} returned the same nextToken twice; stopping`);
      seen.add(nextToken);
    }
  } while (nextToken !== undefined);
  return out;
}

/** ECS Describe* calls take at most 100 names each. */
export async function describeAll<T>(
  client: ApiClient,
  operation: string,
  requestKey: string,
  responseKey: string,
  ids: string[],
  extra: object = {},
  batchSize = 100,
): Promise<{ items: T[]; failures: Failure[] }> {
  const items: T[] = [];
  const failures: Failure[] = [];
  for (let i = 0; i < ids.length; i += batchSize) {
    const r = await client.call<Record<string, unknown>>(operation, { ...extra, [requestKey]: ids.slice(i, i + batchSize) });
    items.push(...((r[responseKey] as T[] | undefined) ?? []));
    failures.push(...((r.failures as Failure[] | undefined) ?? []));
  }
  return { items, failures };
}
