import type { Db } from './db';
import { statementCache } from './statement-cache';

/** Remembers the result of an idempotent request for its clientToken. */
export class ClientTokensRepo {
  private readonly sql: ReturnType<typeof statementCache>;

  constructor(private readonly db: Db) {
    this.sql = statementCache(db);
  }

  get(scope: string, token: string): { requestHash: string; result: unknown } | undefined {
    const r = this.sql('SELECT request_hash, result_json FROM client_tokens WHERE scope = ? AND token = ?').get(scope, token) as
      | { request_hash: string; result_json: string }
      | undefined;
    return r && { requestHash: r.request_hash, result: JSON.parse(r.result_json) };
  }

  put(scope: string, token: string, requestHash: string, result: unknown, now: number): void {
    this.sql('INSERT INTO client_tokens(scope, token, request_hash, result_json, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(scope, token, requestHash, JSON.stringify(result), now);
  }
}
