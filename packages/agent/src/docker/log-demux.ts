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
