/**
 * A throwaway PostgreSQL server for end-to-end tests (Debian's postgresql,
 * initdb/pg_ctl into a temp directory, unix socket only): the control-plane
 * package's helper, shared with its unit tests.
 *
 *   const pg = await startPostgres();
 *   const url = await pg.createDatabase();        // --store <url>
 *   ...
 *   await pg.stop();
 */
export { startPostgres, postgresBinDir, type PostgresServer } from '@stevedore/control-plane/dist/testing/postgres-server';
