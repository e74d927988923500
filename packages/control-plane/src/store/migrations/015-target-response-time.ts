import type { Migration } from './migration';

/**
 * HAProxy's average response time per target and reporting host, which the
 * metric publisher turns into ELB's TargetResponseTime (docs/design/metrics.md).
 */
export const targetResponseTime: Migration = {
  version: 15,
  name: 'target-response-time',
  sql: `
    ALTER TABLE target_health ADD COLUMN response_time_ms INTEGER NOT NULL DEFAULT 0;
  `,
};
