/**
 * A versioned schema change. Each runs once, in order, inside one transaction
 * with its version row, so a crash mid-migration leaves the database at the
 * previous version. Never edit a released migration: add a new file.
 */
export interface Migration {
  version: number;
  name: string;
  /** SQLite's dialect; the PostgreSQL store runs it through the translator (backend/translate.ts). */
  sql: string;
  /**
   * PostgreSQL's own text, only where the translation cannot work (say a
   * SQLite table rebuild that PostgreSQL does with one ALTER). Rare: every
   * migration is tested on both backends (migrations.test.ts).
   */
  postgres?: string;
}
