/**
 * What both programs do with an error nobody handled, in one place (the
 * control plane and the agent had a copy each). The only process-level code
 * in core: it imports nothing, and takes the logger and the process it acts
 * on, so it is tested with fakes.
 */

/** Exit status after an uncaught exception or unhandled rejection (sysexits EX_SOFTWARE). */
export const EXIT_FATAL = 70;

/** What of a pino logger this needs. */
export interface FatalLogger {
  fatal(fields: { err: unknown }, msg: string): void;
  flush(): void;
}

/** What of the process this needs (NodeJS.Process fits). */
export interface FatalProcess {
  on(event: 'uncaughtException' | 'unhandledRejection', listener: (err: unknown) => void): unknown;
  exit(code: number): never | void;
  stderr: { write(text: string): unknown };
}

/**
 * An exception nobody caught or a rejection nobody handled means some
 * operation stopped halfway: locks, timers, half-applied decisions in
 * memory (control plane), a task runner's queue or the session (agent).
 * Running on in that state is worse than a restart, which rebuilds the
 * state from what is durable: the store for the control plane (SQLite's WAL
 * keeps committed work), Docker labels and the task journal for the agent,
 * whose task containers keep running and are adopted again. systemd's
 * Restart=always restarts either. So: log the error (pino's stdout
 * destination is synchronous; flush anyway) and exit non-zero at once,
 * without a graceful stop that would run in the same unknown state.
 */
export function exitOnFatalErrors(log: FatalLogger, name: string, proc: FatalProcess = process): void {
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
