/**
 * Certificate changes through HAProxy's runtime API, so a rotation never
 * reloads (a reload hands new connections to a new worker, and the old one
 * closes idle keep-alive connections; a runtime change keeps the worker).
 *
 * The renderer names files by role, not by content: a listener's crt-list
 * `list-<L>.txt`, its default certificate `<L>-default.pem`, an SNI
 * certificate `<L>-<ARN hash>.pem`. A rotated certificate (ACM re-import, or
 * ModifyListener naming another default) is the same file with new content:
 * `set ssl cert` + `commit ssl cert`. An added SNI certificate is a new file:
 * `new ssl cert`, `set`/`commit`, then `add ssl crt-list`; a removed one is
 * `del ssl crt-list` + `del ssl cert`. HAProxy keeps existing TLS sessions
 * on the certificate they began with; new handshakes get the new one. The
 * files are written first, so a later reload reads what serves.
 */

const isCrtList = (file: string): boolean => /\/list-[^/]*\.txt$/.test(file);

function entries(list: string | undefined): string[] {
  return (list ?? '').split('\n').filter((l) => l !== '');
}

/** A payload ends at the first empty line: a PEM bundle without them, which PEM readers ignore anyway. */
function payload(pem: string): string {
  return pem.split(/\r?\n/).filter((l) => l.trim() !== '').join('\n');
}

/**
 * Runtime API commands taking the certificates of `prev` to those of `next`
 * (files by absolute path), or undefined when only a reload can: a crt-list
 * that appears or goes (a listener added or removed reloads anyway), or a
 * change of its default (first) entry, which HAProxy cannot delete.
 */
export function certificateCommands(prev: ReadonlyMap<string, string>, next: ReadonlyMap<string, string>): string[] | undefined {
  const lists = new Set([...prev.keys(), ...next.keys()].filter(isCrtList));
  const setCert = (file: string, pem: string) => [`set ssl cert ${file} <<\n${payload(pem)}\n`, `commit ssl cert ${file}`];
  const before: string[] = [];
  const after: string[] = [];
  for (const list of lists) {
    if (!prev.has(list) || !next.has(list)) return undefined;
    const was = entries(prev.get(list));
    const now = entries(next.get(list));
    if (was[0] !== now[0]) return undefined;
    for (const f of now) {
      const pem = next.get(f);
      if (pem === undefined) return undefined;
      if (!was.includes(f)) before.push(`new ssl cert ${f}`, ...setCert(f, pem), `add ssl crt-list ${list} ${f}`);
      else if (prev.get(f) !== pem) before.push(...setCert(f, pem));
    }
    for (const f of was) if (!now.includes(f)) after.push(`del ssl crt-list ${list} ${f}`, `del ssl cert ${f}`);
  }
  return [...before, ...after];
}

/** Whether HAProxy's answer to a certificate command says it was done; undefined for other commands. */
export function certificateAnswerOk(command: string, answer: string): boolean | undefined {
  if (command.startsWith('new ssl cert ')) return /^New empty certificate store/.test(answer);
  if (command.startsWith('set ssl cert ')) return /^Transaction (created|updated) for certificate/.test(answer);
  if (command.startsWith('commit ssl cert ') || command.startsWith('add ssl crt-list ')) return /\nSuccess!$/.test(answer);
  if (command.startsWith('del ssl crt-list ')) return /^Entry '.*' deleted in crtlist/.test(answer);
  if (command.startsWith('del ssl cert ')) return /^Certificate '.*' deleted!$/.test(answer);
  return undefined;
}

/** A command as it may be logged: a certificate payload (a private key) never is. */
export function loggableCommand(command: string): string {
  return command.split('\n')[0]!;
}
