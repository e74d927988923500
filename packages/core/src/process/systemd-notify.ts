import { execFile } from 'node:child_process';

/** What the readiness notice needs of a logger (pino's, in both programs). */
export interface NotifyLogger {
  warn(obj: object, msg: string): void;
}

/**
 * Tells systemd a program is ready (`Type=notify`): `READY=1` to
 * $NOTIFY_SOCKET. Node cannot send unix datagrams, and a native module would
 * bring back the compiler that agent hosts must not need, so this runs
 * systemd's own `systemd-notify --ready --pid=<our pid>` (the units say
 * `NotifyAccess=all`: the message comes from that child). Without
 * $NOTIFY_SOCKET (not under systemd) it does nothing. Shared by the control
 * plane and the agent, like exitOnFatalErrors beside it.
 */
export function notifySystemdReady(log: NotifyLogger, env: NodeJS.ProcessEnv = process.env, status = 'ready'): Promise<boolean> {
  if (!env['NOTIFY_SOCKET']) return Promise.resolve(false);
  return new Promise((resolve) => {
    execFile('systemd-notify', ['--ready', `--pid=${process.pid}`, `--status=${status}`], { env, timeout: 5000 }, (err) => {
      if (err) {
        log.warn({ err: err.message }, 'could not tell systemd we are ready (systemd-notify)');
        resolve(false);
      } else resolve(true);
    });
  });
}
