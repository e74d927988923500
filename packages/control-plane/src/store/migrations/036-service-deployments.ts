import type { Migration } from './migration';

/**
 * ECS's deployment history (ListServiceDeployments, DescribeServiceDeployments,
 * DescribeServiceRevisions; docs/design/deployment-history.md): one row per
 * deployment a service ever had, kept after the deployment leaves the
 * service. `revision_json` is the service revision (the configuration the
 * deployment rolls out) and `sources_json` the deployments it replaced, both
 * written once by the API's spec writes; `rollout_json` follows the
 * orchestrator's rollout state of that deployment.
 */
export const serviceDeployments: Migration = {
  version: 36,
  name: 'service-deployments',
  sql: `
    CREATE TABLE service_deployments (
      cluster TEXT NOT NULL,
      service TEXT NOT NULL,
      id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      revision_json TEXT NOT NULL,
      sources_json TEXT NOT NULL,
      rollout_json TEXT,
      PRIMARY KEY (cluster, service, id)
    );
    CREATE INDEX service_deployments_created ON service_deployments(cluster, service, created_at);
  `,
};
