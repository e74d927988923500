import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a byte stream into lines. Chunks can end mid-line or mid-character
 * (a UTF-8 sequence split across TCP segments), so bytes are decoded
 * incrementally and only complete lines are handed out.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';

  push(chunk: Buffer | string): string[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const parts = this.buffer.split('\n');
    this.buffer = parts.pop() ?? '';
    return parts.filter((l) => l.trim() !== '');
  }

  /** The last line when the stream ends without a newline. */
  end(): string[] {
    const rest = this.buffer + this.decoder.end();
    this.buffer = '';
    return rest.trim() === '' ? [] : [rest];
  }
}

export type LogEvent =
  | { kind: 'data'; stream: 'stdout' | 'stderr'; data: string }
  | { kind: 'error'; type: string; message: string }
  | { kind: 'truncated'; message: string }
  | { kind: 'unknown'; line: string };

export function parseLogLine(line: string): LogEvent {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { kind: 'unknown', line };
  }
  if (typeof v !== 'object' || v === null) return { kind: 'unknown', line };
  const o = v as Record<string, unknown>;
  if (typeof o.__type === 'string') {
    const m = o.message ?? o.Message;
    return { kind: 'error', type: o.__type.split('#').pop()!, message: typeof m === 'string' ? m : '' };
  }
  if (o.truncated === true) return { kind: 'truncated', message: typeof o.message === 'string' ? o.message : 'Log output truncated.' };
  if (typeof o.data === 'string') return { kind: 'data', stream: o.stream === 'stderr' ? 'stderr' : 'stdout', data: o.data };
  return { kind: 'unknown', line };
}
