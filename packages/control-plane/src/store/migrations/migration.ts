/**
 * A versioned schema change. Each runs once, in order, inside one transaction
 * with its version row, so a crash mid-migration leaves the database at the
 * previous version. Never edit a released migration: add a new file.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}
