/**
 * Lines of `docker logs --timestamps`: "<RFC 3339 nano> <text>\n". Docker
 * trims trailing zeros of the fraction (and drops it when zero), so the
 * timestamp text is compared as Docker wrote it, and converted to Docker's
 * `since` (seconds.nanoseconds) when reading resumes.
 */
export interface TimedLine {
  /** The timestamp as Docker wrote it. */
  time: string;
  /** Epoch ms (the CloudWatch event timestamp). */
  ms: number;
  text: string;
}

const TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/;

export function parseTimedLine(line: string): TimedLine | undefined {
  const sp = line.indexOf(' ');
  const time = sp < 0 ? line : line.slice(0, sp);
  const m = TS.exec(time);
  if (!m) return undefined;
  const base = Date.parse(`${m[1]}Z`);
  if (!Number.isFinite(base)) return undefined;
  const frac = m[2] ?? '';
  return { time, ms: base + Number(frac.padEnd(3, '0').slice(0, 3)), text: sp < 0 ? '' : line.slice(sp + 1) };
}

/** Docker's `since` for a timestamp as Docker wrote it: `seconds.nanoseconds`. */
export function dockerSince(time: string): string {
  const m = TS.exec(time);
  if (!m) throw new Error(`not a Docker log timestamp: ${time}`);
  return `${Date.parse(`${m[1]}Z`) / 1000}.${(m[2] ?? '').padEnd(9, '0')}`;
}

/** Splits a stream's chunks into lines; the unfinished tail waits for the next chunk. */
export class LineSplitter {
  private rest = '';
  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    return lines;
  }
  /** The unfinished tail, if the stream ended without a newline. */
  end(): string | undefined {
    const r = this.rest;
    this.rest = '';
    return r === '' ? undefined : r;
  }
}
