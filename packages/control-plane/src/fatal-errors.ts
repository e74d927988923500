import type { Logger } from 'pino';

/** Exit status after an uncaught exception or unhandled rejection (sysexits EX_SOFTWARE). */
export const EXIT_FATAL = 70;

/**
 * An exception nobody caught or a rejection nobody handled means some
 * operation stopped halfway: locks, timers, half-applied decisions in memory.
 * Running on in that state is worse than a restart, which rebuilds every
 * role's state from the store (systemd's Restart=always does it). So: log
 * the error (pino's stdout destination is synchronous; flush anyway) and
 * exit non-zero at once, without attempting a graceful stop that would run
 * in the same unknown state. SQLite's WAL keeps committed work.
 */
export function exitOnFatalErrors(log: Logger, name: string, proc: NodeJS.Process = process): void {
  let exiting = false;
  const die = (kind: string) => (err: unknown) => {
    if (exiting) return;
    exiting = true;
    try {
      log.fatal({ err }, `${kind}: exiting so that the service manager restarts ${name} in a known state`);
      log.flush();
    } catch {
      proc.stderr.write(`${name}: ${kind}: ${(err as Error)?.stack ?? String(err)}\n`);
    }
    proc.exit(EXIT_FATAL);
  };
  proc.on('uncaughtException', die('uncaught exception'));
  proc.on('unhandledRejection', die('unhandled rejection'));
}
