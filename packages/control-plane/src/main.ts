#!/usr/bin/env node
import { isBackupCommand, runBackupCommand } from './backup/backup-command';
import { parseConfig } from './config';
import { ControlPlane } from './control-plane';
import { exitOnFatalErrors, notifySystemdReady } from '@stevedore/core';

async function main(): Promise<void> {
  if (isBackupCommand(process.argv)) {
    process.exit(await runBackupCommand(process.argv, process.env, (s) => process.stdout.write(s), (s) => process.stderr.write(s)));
  }
  let config;
  try {
    config = parseConfig(process.argv);
  } catch (e) {
    const err = e as { code?: string; message: string; exitCode?: number };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    process.stderr.write(`stevedore-control-plane: ${err.message}\n`);
    process.exit(2);
  }
  const cp = new ControlPlane(config);
  exitOnFatalErrors(cp.log, 'stevedore-control-plane');
  await cp.start();
  // systemctl start returns now: the API and the agent channel listen, the first lease round is done.
  await notifySystemdReady(cp.log, process.env, cp.leadership?.leader ? 'ready (leader)' : 'ready (follower)');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    cp.log.info({ signal }, 'shutting down');
    cp.stop().then(
      () => process.exit(0),
      (e) => {
        cp.log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((e) => {
  process.stderr.write(`stevedore-control-plane: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
