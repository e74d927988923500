import type { Db } from './db';
import { statementCache } from './statement-cache';

/** One stored ECS account setting; principal '' is the account default (PutAccountSettingDefault). */
export interface StoredAccountSetting {
  name: string;
  principal: string;
  value: string;
}

/** ECS account settings (migration 037), written only by the account-setting actions. */
export class AccountSettingsRepo {
  private readonly sql: ReturnType<typeof statementCache>;
  constructor(db: Db) {
    this.sql = statementCache(db);
  }

  put(s: StoredAccountSetting, now: number): void {
    this
      .sql(
        `INSERT INTO account_settings(name, principal, value, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(name, principal) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(s.name, s.principal, s.value, now);
  }

  get(name: string, principal: string): StoredAccountSetting | undefined {
    return this.sql('SELECT name, principal, value FROM account_settings WHERE name = ? AND principal = ?').get(name, principal) as StoredAccountSetting | undefined;
  }

  /** A principal's own settings ('' for the account defaults), by name. */
  ofPrincipal(principal: string): StoredAccountSetting[] {
    return this.sql('SELECT name, principal, value FROM account_settings WHERE principal = ? ORDER BY name').all(principal) as StoredAccountSetting[];
  }

  delete(name: string, principal: string): boolean {
    return this.sql('DELETE FROM account_settings WHERE name = ? AND principal = ?').run(name, principal).changes > 0;
  }
}
