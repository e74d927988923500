import { connect } from 'node:net';
import { ResourceInitializationError } from './create-request';

/** How long an NFS server has to accept a TCP connection before the task fails (a mount would hang for minutes). */
export const NFS_CONNECT_TIMEOUT_MS = 5000;

/**
 * The export's server accepts TCP on its NFS port, or the task fails with
 * a reason that names the file system, the server and what went wrong. It
 * does not prove the export exists (the mount at container start does; its
 * error becomes the container's CannotStartContainerError), but it turns
 * the common failure, an unreachable server, into a prompt, clear stop.
 */
export function checkNfsServer(s: { host: string; port: number; fileSystemId: string }, timeoutMs = NFS_CONNECT_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: s.host, port: s.port });
    const fail = (why: string) => {
      sock.destroy();
      reject(new ResourceInitializationError(`failed to mount the file system ${s.fileSystemId}: NFS server ${s.host}:${s.port} ${why}`));
    };
    sock.setTimeout(timeoutMs, () => fail(`did not answer within ${timeoutMs / 1000} s`));
    sock.once('error', (e: NodeJS.ErrnoException) => fail(`is unreachable (${e.code ?? e.message})`));
    sock.once('connect', () => {
      sock.destroy();
      resolve();
    });
  });
}
