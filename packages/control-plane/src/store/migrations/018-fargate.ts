import type { Migration } from './migration';

/**
 * FARGATE and awsvpc tasks (docs/design/fargate.md): the launch type, and
 * the launch's details (capacity provider, platform version, the awsvpc
 * network interface) as one JSON document, absent for plain EC2 tasks.
 * Services keep theirs in spec_json already.
 */
export const fargate: Migration = {
  version: 18,
  name: 'fargate',
  sql: `
    ALTER TABLE tasks ADD COLUMN launch_type TEXT NOT NULL DEFAULT 'EC2';
    ALTER TABLE tasks ADD COLUMN launch_json TEXT;
  `,
};
