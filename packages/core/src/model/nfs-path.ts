/**
 * A directory under an NFS export (an access point's root, a volume's
 * rootDirectory) as one absolute path: what the agent mounts and what the
 * operator's server exports. Callers refuse `..` first.
 */
export function joinExportPath(exportPath: string, sub: string): string {
  const parts = [...exportPath.split('/'), ...sub.split('/')].filter((p) => p !== '' && p !== '.');
  return `/${parts.join('/')}`;
}
