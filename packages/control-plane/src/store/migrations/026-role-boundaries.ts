import type { Migration } from './migration';

/**
 * Permissions boundaries of service-linked roles (docs/design/task-roles.md):
 * an operator narrows what a Stevedore component may do under its built-in
 * role (AWSServiceRoleForECS, the autoscaler's) without changing the
 * built-in policy: the component needs an Allow in both, and a Deny in
 * either wins, as IAM evaluates a boundary.
 */
export const roleBoundaries: Migration = {
  version: 26,
  name: 'role-boundaries',
  sql: `
    CREATE TABLE iam_role_boundaries (
      role_name TEXT PRIMARY KEY,
      policy_json TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    );
  `,
};
