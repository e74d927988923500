import type { Migration } from './migration';

/**
 * ECS Task.connectivityAt: when the control plane first applied a report of
 * the task's agent about it (the agent holds the assignment). Tasks from
 * before stay without it, as ECS shows none for a task never connected.
 */
export const taskConnectivityAt: Migration = {
  version: 39,
  name: 'task-connectivity-at',
  sql: `
    ALTER TABLE tasks ADD COLUMN connectivity_at INTEGER;
  `,
};
