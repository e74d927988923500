import { Command, CommanderError } from 'commander';
import { versionText } from '@stevedore/core';
import { backupDataDir, BackupError } from './backup';
import { PROTECTED_FILES } from './protected-files';
import { restoreDataDir } from './restore';

const SUBCOMMANDS = new Set(['backup', 'restore']);

/** `stevedore-control-plane backup|restore ...` rather than the server's own flags. */
export function isBackupCommand(argv: string[]): boolean {
  return SUBCOMMANDS.has(argv[2] ?? '');
}

function isPostgres(store: string | undefined): boolean {
  return /^postgres(ql)?:\/\//.test(store ?? '');
}

/** Runs backup or restore; resolves with the exit code. Messages go to stderr, the summary to stdout. */
export async function runBackupCommand(argv: string[], env: NodeJS.ProcessEnv, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const dataDirDefault = env['STEVEDORE_DATA_DIR'] ?? '/var/lib/stevedore/control-plane';
  const program = new Command('stevedore-control-plane')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err })
    .version(versionText('stevedore-control-plane'), '--version');
  program
    .command('backup')
    .description(`online backup of a control plane's data dir into one tar.gz (mode 0600): ${PROTECTED_FILES.map((f) => f.path).join(', ')}; the control plane may keep running`)
    .requiredOption('--to <file>', 'archive to write (replaced atomically)')
    .option('--data-dir <dir>', 'the control plane\'s data dir [env STEVEDORE_DATA_DIR]', dataDirDefault)
    .option('--store <url>', 'the control plane\'s --store [env STEVEDORE_STORE]; with postgres:// only the key files are archived (dump the database with pg_dump)', env['STEVEDORE_STORE'])
    .action(async (o: { to: string; dataDir: string; store?: string }) => {
      if (isPostgres(o.store)) {
        err('stevedore-control-plane: backup: the database is in PostgreSQL: back it up with pg_dump --format=custom (docs/running-a-cluster.md, Backups); this archive holds the key files only, which pg_dump does not have\n');
      }
      const m = await backupDataDir(o.dataDir, o.to, { database: !isPostgres(o.store) });
      out(`backup of ${o.dataDir} written to ${o.to}: ${m.files.map((f) => f.path).join(', ')} (schema ${m.schemaVersion}, ${m.version})\n`);
    });
  program
    .command('restore')
    .description('restore a backup into a data dir that holds no control plane state (never over a live or stopped database)')
    .requiredOption('--from <file>', 'archive written by backup')
    .requiredOption('--data-dir <dir>', 'data dir to restore into (new or empty)')
    .action(async (o: { from: string; dataDir: string }) => {
      const m = await restoreDataDir(o.from, o.dataDir);
      out(`restored ${m.files.map((f) => f.path).join(', ')} from ${o.from} (written ${m.createdAt} by ${m.version}) into ${o.dataDir}; start the control plane with --data-dir ${o.dataDir}\n`);
    });
  try {
    await program.parseAsync(argv, { from: 'node' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof BackupError) {
      err(`stevedore-control-plane: ${argv[2]}: ${e.message}\n`);
      return 1;
    }
    const x = e as NodeJS.ErrnoException;
    if (x.code && x.path) {
      err(`stevedore-control-plane: ${argv[2]}: ${x.message}\n`);
      return 1;
    }
    throw e;
  }
  return 0;
}
