import type { Migration } from './migration';

/**
 * ECS account settings (PutAccountSetting, PutAccountSettingDefault,
 * ListAccountSettings, DeleteAccountSetting): the account default has
 * principal '' and a principal's own setting its ARN. And the cluster
 * `configuration` UpdateCluster sets (executeCommandConfiguration,
 * managedStorageConfiguration), stored and echoed as ECS does. And when
 * DeleteTaskDefinitions asked for a revision to be deleted (ECS
 * deleteRequestedAt): it stays DELETE_IN_PROGRESS until nothing uses it.
 */
export const accountSettings: Migration = {
  version: 37,
  name: 'account-settings',
  sql: `
    CREATE TABLE account_settings (
      name TEXT NOT NULL,
      principal TEXT NOT NULL,
      value TEXT NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (name, principal)
    );
    ALTER TABLE clusters ADD COLUMN configuration_json TEXT;
    ALTER TABLE task_definitions ADD COLUMN delete_requested_at INTEGER;
  `,
};
