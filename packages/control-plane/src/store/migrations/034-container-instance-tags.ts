import type { Migration } from './migration';

/**
 * Tags on container instances (TagResource, DescribeContainerInstances with
 * include TAGS): the other taggable resources had their tags from the start.
 * Kept apart from the instance row the agent's registration rewrites, so a
 * re-registration never drops them.
 */
export const containerInstanceTags: Migration = {
  version: 34,
  name: 'container-instance-tags',
  sql: `
    ALTER TABLE container_instances ADD COLUMN tags_json TEXT NOT NULL DEFAULT '[]';
  `,
};
