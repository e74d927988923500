import type { Cluster, Tag } from '@stevedore/core';
import type { Change } from './changes';
import type { Db } from './db';
import { statementCache } from './statement-cache';

interface Row { name: string; status: string; tags_json: string; settings_json: string; configuration_json: string | null; created_at: number }

const toCluster = (r: Row): Cluster => ({
  name: r.name,
  status: r.status as Cluster['status'],
  tags: JSON.parse(r.tags_json) as Tag[],
  settings: JSON.parse(r.settings_json) as Cluster['settings'],
  ...(r.configuration_json ? (JSON.parse(r.configuration_json) as Pick<Cluster, 'configuration' | 'serviceConnectDefaults'>) : {}),
  createdAt: r.created_at,
});

export class ClustersRepo {
  private readonly sql: ReturnType<typeof statementCache>;

  constructor(private readonly db: Db, private readonly record: (c: Change) => void) {
    this.sql = statementCache(db);
  }

  get(name: string): Cluster | undefined {
    const r = this.sql('SELECT * FROM clusters WHERE name = ?').get(name) as Row | undefined;
    return r && toCluster(r);
  }

  /** ACTIVE clusters ordered by name, after `afterName` (paging). */
  listActive(afterName: string | undefined, limit: number): Cluster[] {
    const rows = this.sql("SELECT * FROM clusters WHERE status = 'ACTIVE' AND name > ? ORDER BY name LIMIT ?")
      .all(afterName ?? '', limit) as Row[];
    return rows.map(toCluster);
  }

  upsert(c: Cluster): void {
    this.sql(
        `INSERT INTO clusters(name, status, tags_json, settings_json, configuration_json, created_at) VALUES (@name, @status, @tags, @settings, @configuration, @createdAt)
         ON CONFLICT(name) DO UPDATE SET status = excluded.status, tags_json = excluded.tags_json, settings_json = excluded.settings_json,
           configuration_json = excluded.configuration_json, created_at = excluded.created_at`,
      )
      .run({
        name: c.name,
        status: c.status,
        tags: JSON.stringify(c.tags),
        settings: JSON.stringify(c.settings),
        configuration: c.configuration || c.serviceConnectDefaults ? JSON.stringify({ ...(c.configuration ? { configuration: c.configuration } : {}), ...(c.serviceConnectDefaults ? { serviceConnectDefaults: c.serviceConnectDefaults } : {}) }) : null,
        createdAt: c.createdAt,
      });
    this.record({ kind: 'cluster', cluster: c.name });
  }

  setStatus(name: string, status: Cluster['status']): void {
    this.sql('UPDATE clusters SET status = ? WHERE name = ?').run(status, name);
    this.record({ kind: 'cluster', cluster: name });
  }
}
