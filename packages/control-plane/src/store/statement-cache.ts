import type { Db, Statement } from './db';

/**
 * Prepared statements by SQL text. Preparing is far dearer than running a
 * statement (it was the largest single cost in the scheduler benchmark), and
 * the repositories run the same few statements thousands of times a second.
 */
export function statementCache(db: Db): (sql: string) => Statement {
  const cache = new Map<string, Statement>();
  return (sql) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
}
