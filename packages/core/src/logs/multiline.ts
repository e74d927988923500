/**
 * Multi-line grouping as Docker's awslogs driver does it: a line that
 * matches the start pattern begins a new event; other lines join the event
 * being built (joined with "\n"). An event is also closed when no line came
 * for a while (Docker: 5 s) or when it reaches the event size cap, so a
 * quiet container's last event is not held forever. Pure: time comes in.
 */

/** Docker's strftime directives for awslogs-datetime-format, as regular expressions. */
const STRFTIME: ReadonlyMap<string, string> = new Map([
  ['%a', '\\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\\b'],
  ['%A', '\\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\\b'],
  ['%b', '\\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\\b'],
  ['%B', '\\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\\b'],
  ['%d', '(?:0[1-9]|[1,2][0-9]|3[0,1])'],
  ['%H', '(?:[0,1][0-9]|2[0-3])'],
  ['%y', '\\d{2}'],
  ['%Y', '\\d{4}'],
  ['%m', '(?:0[1-9]|1[0-2])'],
  ['%p', '[A,P]M'],
  ['%M', '[0-5][0-9]'],
  ['%S', '[0-5][0-9]'],
  ['%f', '\\d{6}'],
  ['%L', '\\.\\d{3}'],
  ['%j', '(?:00[1-9]|0[1-9][0-9]|[1,2][0-9][0-9]|3[0-5][0-9]|36[0-6])'],
  ['%I', '(?:0[0-9]|1[0-2])'],
  ['%Z', '[A-Z]+'],
  ['%z', '[+-]\\d{4}'],
  ['%w', '[0-6]'],
  ['%U', '(?:[0-4][0-9]|5[0-3])'],
  ['%W', '(?:[0-4][0-9]|5[0-3])'],
]);

/** Docker's conversion: directives replaced, the rest left as regex text, anchored at the line start. */
export function strftimeToRegExpSource(format: string): string {
  return '^' + format.replace(/%[a-zA-Z]/g, (d) => STRFTIME.get(d) ?? d);
}

/** The start-of-event pattern of an awslogs config, if it groups lines at all. */
export function multilineStart(opts: { datetimeFormat?: string; multilinePattern?: string }): RegExp | undefined {
  if (opts.datetimeFormat !== undefined) return new RegExp(strftimeToRegExpSource(opts.datetimeFormat));
  if (opts.multilinePattern !== undefined) return new RegExp(opts.multilinePattern);
  return undefined;
}

export interface GroupedEvent<P> {
  /** Epoch ms of the event's first line (the event's timestamp). */
  timestamp: number;
  message: string;
  /** Position of the event's last line: where reading resumes once the event is delivered. */
  last: P;
}

/** Docker's forceFlushInterval for multi-line events. */
export const MULTILINE_IDLE_FLUSH_MS = 5000;
/** CloudWatch's maximum event size (256 KiB less its 26-byte per-event overhead). */
export const MAX_EVENT_BYTES = 262_144 - 26;

export class MultilineGrouper<P> {
  private lines: string[] = [];
  private bytes = 0;
  private first = 0;
  private last: P | undefined;
  private lastAt = 0;

  constructor(private readonly start: RegExp | undefined) {}

  /** Adds one line (without its newline); returns the events it completes. */
  push(line: string, timestamp: number, pos: P, now: number): GroupedEvent<P>[] {
    const out: GroupedEvent<P>[] = [];
    const startsEvent = this.start === undefined || this.start.test(line);
    if (this.lines.length > 0 && (startsEvent || this.bytes + line.length + 1 > MAX_EVENT_BYTES)) out.push(this.take());
    if (this.lines.length === 0) this.first = timestamp;
    this.lines.push(line);
    this.bytes += Buffer.byteLength(line) + (this.lines.length > 1 ? 1 : 0);
    this.last = pos;
    this.lastAt = now;
    // Without a pattern every line is its own event: nothing to wait for.
    if (this.start === undefined) out.push(this.take());
    return out;
  }

  /** The pending event, if no line came for MULTILINE_IDLE_FLUSH_MS. */
  flushIdle(now: number): GroupedEvent<P> | undefined {
    return this.lines.length > 0 && now - this.lastAt >= MULTILINE_IDLE_FLUSH_MS ? this.take() : undefined;
  }

  /** The pending event, whatever its age (the container stopped). */
  flush(): GroupedEvent<P> | undefined {
    return this.lines.length > 0 ? this.take() : undefined;
  }

  get pending(): boolean {
    return this.lines.length > 0;
  }

  private take(): GroupedEvent<P> {
    let message = this.lines.join('\n');
    if (Buffer.byteLength(message) > MAX_EVENT_BYTES) message = Buffer.from(message).subarray(0, MAX_EVENT_BYTES).toString('utf8');
    const ev: GroupedEvent<P> = { timestamp: this.first, message, last: this.last as P };
    this.lines = [];
    this.bytes = 0;
    return ev;
  }
}
