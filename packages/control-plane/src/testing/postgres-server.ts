import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL server for tests: Debian's `postgresql` package
 * (installed by scripts/ensure-env.sh), initdb into a temp directory and
 * pg_ctl, listening on a unix socket in that directory only (no TCP port to
 * collide with). Run as root, it runs as the `postgres` user. Tests that need
 * it fail, never skip, when PostgreSQL is missing.
 *
 *   const pg = await startPostgres();
 *   const url = await pg.createDatabase();   // a fresh database per store
 *   ...
 *   await pg.stop();
 */
export interface PostgresServer {
  /** Socket directory (`host` of a libpq/pg URL). */
  readonly socketDir: string;
  /** URL of database `name` (default `postgres`). */
  url(name?: string): string;
  /** A new empty database (C collation, UTF-8, as the control plane expects); returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (immediate mode) and deletes its directory. */
  stop(): Promise<void>;
  /** Stops the server the way a crash would not: fast shutdown, directory kept, so `restart` can bring it back. */
  restart(): Promise<void>;
}

const PORT = 5432;
let counter = 0;

/** Directory of PostgreSQL's server programs (initdb, pg_ctl): the newest Debian install, or PG_BINDIR. */
export function postgresBinDir(): string {
  if (process.env['PG_BINDIR']) return process.env['PG_BINDIR'];
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/ensure-env.sh (Debian package postgresql)');
  return path.join(base, versions[0]!, 'bin');
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stevedore-pg-'));
  const data = path.join(dir, 'data');
  // initdb refuses to run as root: the server runs as `postgres`, which must own the directory.
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  fs.chmodSync(dir, 0o700);
  const run = (prog: string, args: string[]) => {
    const cmd = asRoot ? 'runuser' : path.join(bin, prog);
    const argv = asRoot ? ['-u', 'postgres', '--', path.join(bin, prog), ...args] : args;
    const r = spawnSync(cmd, argv, { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) throw new Error(`${prog} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
  const opts = [
    `-c listen_addresses=''`,
    `-c unix_socket_directories=${dir}`,
    `-c port=${PORT}`,
    // A test server: durability is not under test, speed is.
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  const start = () => run('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start']);
  start();
  let stopped = false;
  const stopNow = () => {
    if (stopped) return;
    stopped = true;
    spawnSync(asRoot ? 'runuser' : path.join(bin, 'pg_ctl'), [...(asRoot ? ['-u', 'postgres', '--', path.join(bin, 'pg_ctl')] : []), '-D', data, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // A test process that dies must not leave a server behind (a signal skips 'exit' handlers: stop, then die of it).
  process.once('exit', stopNow);
  const onSignal = (sig: NodeJS.Signals) => {
    stopNow();
    process.kill(process.pid, sig);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const url = (name = 'postgres') => `postgres://postgres@localhost/${name}?host=${encodeURIComponent(dir)}&port=${PORT}`;
  return {
    socketDir: dir,
    url,
    async createDatabase(name?: string): Promise<string> {
      const db = name ?? `t${process.pid}_${++counter}_${Date.now() % 100000}`;
      const c = new pg.Client({ connectionString: url() });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${db}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
      } finally {
        await c.end();
      }
      return url(db);
    },
    async stop(): Promise<void> {
      process.removeListener('exit', stopNow);
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
      stopNow();
    },
    async restart(): Promise<void> {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      start();
    },
  };
}
