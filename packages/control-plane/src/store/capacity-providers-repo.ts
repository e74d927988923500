import type { CapacityProvider, CapacityProviderRuntime, ClusterCapacityProviders } from '@stevedore/core';
import type { Change } from './changes';
import type { Db } from './db';
import { statementCache } from './statement-cache';

interface Row { name: string; uuid: string; status: string; spec_json: string; runtime_json: string; tags_json: string; created_at: number }

type Spec = Omit<CapacityProvider, 'name' | 'uuid' | 'status' | 'tags' | 'createdAt'>;

const toProvider = (r: Row): CapacityProvider => ({
  ...(JSON.parse(r.spec_json) as Spec),
  name: r.name,
  uuid: r.uuid,
  status: r.status as CapacityProvider['status'],
  tags: JSON.parse(r.tags_json) as CapacityProvider['tags'],
  createdAt: r.created_at,
});

/** ECS capacity providers and the clusters' provider lists and default strategies. */
export class CapacityProvidersRepo {
  private readonly sql: ReturnType<typeof statementCache>;
  constructor(private readonly db: Db, private readonly record: (c: Change) => void) {
    this.sql = statementCache(db);
  }

  get(name: string): CapacityProvider | undefined {
    const r = this.sql('SELECT * FROM capacity_providers WHERE name = ?').get(name) as Row | undefined;
    return r && toProvider(r);
  }

  list(): CapacityProvider[] {
    return (this.sql('SELECT * FROM capacity_providers ORDER BY name').all() as Row[]).map(toProvider);
  }

  put(p: CapacityProvider): void {
    const { name, uuid, status, tags, createdAt, ...spec } = p;
    this.sql(
      `INSERT INTO capacity_providers(name, uuid, status, spec_json, tags_json, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET status = excluded.status, spec_json = excluded.spec_json, tags_json = excluded.tags_json`,
    ).run(name, uuid, status, JSON.stringify(spec), JSON.stringify(tags), createdAt);
    this.record({ kind: 'capacity-provider', provider: name });
  }

  remove(name: string): void {
    this.sql('DELETE FROM capacity_providers WHERE name = ?').run(name);
    this.record({ kind: 'capacity-provider', provider: name });
  }

  runtime(name: string): CapacityProviderRuntime {
    const r = this.sql('SELECT runtime_json FROM capacity_providers WHERE name = ?').get(name) as { runtime_json: string } | undefined;
    return r ? (JSON.parse(r.runtime_json) as CapacityProviderRuntime) : {};
  }

  /** The scaler's figures: no change event, nothing waits on them. */
  putRuntime(name: string, runtime: CapacityProviderRuntime): void {
    this.sql('UPDATE capacity_providers SET runtime_json = ? WHERE name = ?').run(JSON.stringify(runtime), name);
  }

  ofCluster(cluster: string): ClusterCapacityProviders {
    const r = this.sql('SELECT * FROM cluster_capacity_providers WHERE cluster = ?').get(cluster) as { providers_json: string; default_strategy_json: string } | undefined;
    return r ? { providers: JSON.parse(r.providers_json) as string[], defaultStrategy: JSON.parse(r.default_strategy_json) as ClusterCapacityProviders['defaultStrategy'] } : { providers: [], defaultStrategy: [] };
  }

  /** Clusters that list the provider. */
  clustersUsing(provider: string): string[] {
    const rows = this.sql('SELECT cluster, providers_json FROM cluster_capacity_providers').all() as { cluster: string; providers_json: string }[];
    return rows.filter((r) => (JSON.parse(r.providers_json) as string[]).includes(provider)).map((r) => r.cluster);
  }

  setOfCluster(cluster: string, c: ClusterCapacityProviders): void {
    this.sql(
      `INSERT INTO cluster_capacity_providers(cluster, providers_json, default_strategy_json) VALUES (?, ?, ?)
       ON CONFLICT(cluster) DO UPDATE SET providers_json = excluded.providers_json, default_strategy_json = excluded.default_strategy_json`,
    ).run(cluster, JSON.stringify(c.providers), JSON.stringify(c.defaultStrategy));
    this.record({ kind: 'cluster', cluster });
  }
}
