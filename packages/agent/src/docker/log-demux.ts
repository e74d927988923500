/**
 * Docker multiplexes stdout and stderr of non-TTY containers into frames:
 * 8-byte header (stream type, 3 zero bytes, big-endian length) + payload.
 * Frames can straddle chunks, so this keeps the remainder between pushes.
 */
export interface LogFrame {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

export class LogDemuxer {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): LogFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: LogFrame[] = [];
    while (this.buf.length >= 8) {
      const type = this.buf[0];
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      const data = this.buf.subarray(8, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      out.push({ stream: type === 2 ? 'stderr' : 'stdout', data: Buffer.from(data) });
    }
    return out;
  }
}

/**
 * Joins consecutive frames of the same stream. Docker sends one frame per
 * line, so a read of short lines would otherwise become one gRPC message
 * (and one NDJSON line) per line: a 1 MiB read of numbers was 150,000
 * messages. Order between stdout and stderr is kept.
 */
export function coalesceFrames(frames: LogFrame[]): LogFrame[] {
  const out: LogFrame[] = [];
  let run: Buffer[] = [];
  let stream: LogFrame['stream'] | undefined;
  const flush = () => {
    if (stream !== undefined && run.length > 0) out.push({ stream, data: run.length === 1 ? run[0]! : Buffer.concat(run) });
    run = [];
  };
  for (const f of frames) {
    if (f.stream !== stream) {
      flush();
      stream = f.stream;
    }
    run.push(f.data);
  }
  flush();
  return out;
}
