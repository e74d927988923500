import { joinExportPath } from '@stevedore/core';

/**
 * What an NFS server (Linux knfsd) needs so that each access point's POSIX
 * user is the identity of every request through it, as EFS imposes it: the
 * access point's root created and owned by that user (EFS's creationInfo),
 * and exported on its own with all_squash to that uid/gid. Pure: `stevedore
 * fs exports` prints it for the operator to review and run on the server.
 */
export interface ExportedFileSystem {
  fileSystemId: string;
  server: string;
  path: string;
}

export interface ExportedAccessPoint {
  accessPointId: string;
  rootDirectory: { path: string };
  posixUser?: { uid: number; gid: number };
}


export function nfsExportScript(fs: ExportedFileSystem, aps: readonly ExportedAccessPoint[], clients: string): string {
  const lines = [`# ${fs.fileSystemId}: ${fs.server}:${fs.path}. Run on the NFS server, then: exportfs -ra`, '# Without an access point: the whole export, root squashed (EFS without ClientRootAccess).'];
  const exports = [`${fs.path}  ${clients}(rw,sync,no_subtree_check,root_squash)`];
  for (const ap of aps) {
    const dir = joinExportPath(fs.path, ap.rootDirectory.path);
    if (ap.posixUser) {
      const { uid, gid } = ap.posixUser;
      lines.push(`# ${ap.accessPointId}: every request as ${uid}:${gid} (secondary groups: grant them on the directory; knfsd drops them when squashing)`);
      lines.push(`install -d -o ${uid} -g ${gid} -m 0755 ${dir}`);
      exports.push(`${dir}  ${clients}(rw,sync,no_subtree_check,all_squash,anonuid=${uid},anongid=${gid})`);
    } else {
      lines.push(`# ${ap.accessPointId}: no POSIX user: the caller's own uid/gid, root squashed`);
      lines.push(`install -d -m 0755 ${dir}`);
      exports.push(`${dir}  ${clients}(rw,sync,no_subtree_check,root_squash)`);
    }
  }
  return [...lines, '', '# /etc/exports', ...exports, ''].join('\n');
}
