/**
 * The browser end of an ECS Exec session (docs/design/ecs-exec.md, "Stream
 * protocol"), what `stevedore exec` is to the CLI: ExecuteCommand's session
 * names a WebSocket (`streamUrl`) and a single-use token that is valid for
 * 60 seconds. The first message opens the stream with that token (never in
 * the URL); then binary messages carry keystrokes one way and output the
 * other (first byte 1 = stdout, 2 = stderr), and text messages are control:
 * resize and eof from us, started, exit and error from the server.
 */

export interface ExecSessionInfo {
  sessionId: string;
  streamUrl: string;
  tokenValue: string;
}

/** The part of a browser WebSocket the session uses (a fake in the unit tests). */
export interface ExecSocket {
  binaryType: BinaryType;
  readonly readyState: number;
  send(data: string | ArrayBufferView | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
}

const OPEN = 1;
export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;

export type ExecEnd =
  /** The command ended with this exit code. */
  | { kind: 'exit'; exitCode: number }
  /** The server refused or broke the session (InvalidTokenException, TaskStopped, ExecFailed…). */
  | { kind: 'error'; code: string; message: string }
  /** The stream closed without either (network, control plane going away, or we closed it). */
  | { kind: 'closed'; byUs: boolean };

export type ServerMessage =
  | { kind: 'output'; stream: 'stdout' | 'stderr'; data: Uint8Array }
  | { kind: 'started' }
  | { kind: 'exit'; exitCode: number }
  | { kind: 'error'; code: string; message: string };

/** One message from the server, or undefined for what this client does not know (a newer server may add kinds). */
export function decodeServerMessage(data: unknown): ServerMessage | undefined {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.length < 2) return undefined;
    if (bytes[0] === STREAM_STDOUT) return { kind: 'output', stream: 'stdout', data: bytes.subarray(1) };
    if (bytes[0] === STREAM_STDERR) return { kind: 'output', stream: 'stderr', data: bytes.subarray(1) };
    return undefined;
  }
  if (typeof data !== 'string') return undefined;
  let msg: unknown;
  try {
    msg = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!msg || typeof msg !== 'object') return undefined;
  const m = msg as Record<string, unknown>;
  if (m['type'] === 'started') return { kind: 'started' };
  if (m['type'] === 'exit' && typeof m['exitCode'] === 'number') return { kind: 'exit', exitCode: m['exitCode'] };
  if (m['type'] === 'error') return { kind: 'error', code: typeof m['code'] === 'string' ? m['code'] : 'Error', message: typeof m['message'] === 'string' ? m['message'] : 'The exec session failed.' };
  return undefined;
}

/** A terminal size the server takes: whole cells, at least 1×1 (0 means "unknown" to the relay). */
function cells(n: number): number {
  return Number.isFinite(n) && n >= 1 ? Math.min(Math.floor(n), 10_000) : 0;
}

export interface ExecStreamHandlers {
  output(data: Uint8Array, stream: 'stdout' | 'stderr'): void;
  started?(): void;
  /** Called once, when the session is over for whatever reason. */
  ended(end: ExecEnd): void;
}

/**
 * One exec session over a socket: opens it with the token and the terminal's
 * size, sends input and resizes while it is open, and reports its end once
 * (the exit code or error the server sent before closing wins over the close).
 */
export class ExecStream {
  private end: ExecEnd | undefined;
  private done = false;
  private closedByUs = false;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly socket: ExecSocket,
    session: ExecSessionInfo,
    size: { cols: number; rows: number },
    private readonly handlers: ExecStreamHandlers,
  ) {
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => socket.send(JSON.stringify({ type: 'open', token: session.tokenValue, tty: true, cols: cells(size.cols), rows: cells(size.rows) }));
    socket.onmessage = (ev) => {
      const m = decodeServerMessage(ev.data);
      if (!m) return;
      if (m.kind === 'output') handlers.output(m.data, m.stream);
      else if (m.kind === 'started') handlers.started?.();
      // The server closes the stream right after these: remember why.
      else this.end ??= m.kind === 'exit' ? { kind: 'exit', exitCode: m.exitCode } : { kind: 'error', code: m.code, message: m.message };
    };
    socket.onerror = () => undefined;
    socket.onclose = () => this.finish();
  }

  get isOpen(): boolean {
    return !this.done && this.socket.readyState === OPEN;
  }

  /** Keystrokes or pasted text (xterm's onData gives strings; binary input as bytes). */
  input(data: string | Uint8Array): void {
    if (!this.isOpen) return;
    this.socket.send(typeof data === 'string' ? this.encoder.encode(data) : data);
  }

  resize(cols: number, rows: number): void {
    if (this.isOpen && cells(cols) && cells(rows)) this.socket.send(JSON.stringify({ type: 'resize', cols: cells(cols), rows: cells(rows) }));
  }

  /** Ends the session from our side (the relay stops the command's stream). */
  close(): void {
    if (this.done) return;
    this.closedByUs = true;
    this.socket.close(1000, 'closed by the console');
    // A socket that never opened may never report its close: end now.
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.handlers.ended(this.end ?? { kind: 'closed', byUs: this.closedByUs });
  }
}

/** What the page says when a session is over. */
export function describeEnd(end: ExecEnd): string {
  if (end.kind === 'exit') return `The command exited with code ${end.exitCode}.`;
  if (end.kind === 'error') return `The session ended: ${end.code}: ${end.message}`;
  return end.byUs ? 'Session closed.' : 'The session was disconnected.';
}
