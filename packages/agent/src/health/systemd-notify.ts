import { execFile } from 'node:child_process';
import type { Logger } from 'pino';

/**
 * Tells systemd the agent is ready (`Type=notify`): `READY=1` to
 * $NOTIFY_SOCKET. Node cannot send unix datagrams, and a native module would
 * bring back the compiler this project's packages avoid, so this runs
 * systemd's own `systemd-notify --ready --pid=<our pid>` (the unit says
 * `NotifyAccess=all`: the message comes from that child). Without
 * $NOTIFY_SOCKET (not under systemd) it does nothing.
 */
export function notifySystemdReady(log: Logger, env: NodeJS.ProcessEnv = process.env, status = 'ready'): Promise<boolean> {
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
