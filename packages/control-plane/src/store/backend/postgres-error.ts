/** An error PostgreSQL returned, with its SQLSTATE (`23505` unique violation, ...). */
export class PostgresError extends Error {
  override readonly name = 'PostgresError';
  constructor(message: string, readonly code?: string, readonly detail?: string) {
    super(message);
  }
}
