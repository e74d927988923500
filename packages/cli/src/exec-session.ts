import WebSocket from 'ws';
import { CliError, EXIT_API_ERROR, EXIT_INTERRUPTED, EXIT_TRANSPORT_ERROR, type TerminalIo } from './context';

export type { TerminalIo } from './context';

/**
 * The client end of an ECS Exec stream (docs/design/ecs-exec.md, "Stream
 * protocol"): what AWS's Session Manager plugin is to the AWS CLI's
 * execute-command, `stevedore exec` is to Stevedore's. It connects to the
 * session's streamUrl, opens it with the single-use token, then copies
 * stdin to the stream and the stream to stdout/stderr until the command's
 * exit code arrives, which becomes the CLI's. With a terminal on both ends it
 * asks for a TTY, puts the local terminal in raw mode (keys, Ctrl-C
 * included, go to the remote process), follows window size changes and
 * always restores the terminal.
 */

export interface ExecSessionInfo {
  sessionId: string;
  streamUrl: string;
  tokenValue: string;
}

export interface ExecStreamOptions {
  /** PEM CA bundle for a wss:// URL (the control plane's api-ca.pem). */
  ca?: string;
  signal?: AbortSignal;
  /** Ask for a TTY; defaults to whether the terminal is one. */
  tty?: boolean;
}

const STDOUT = 1;
const STDERR = 2;

export function runExecStream(session: ExecSessionInfo, term: TerminalIo, opts: ExecStreamOptions = {}): Promise<number> {
  const tty = opts.tty ?? term.isTTY;
  return new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(session.streamUrl, { ...(opts.ca ? { ca: opts.ca } : {}), perMessageDeflate: false, handshakeTimeout: 15_000 });
    let settled = false;
    let exitCode: number | undefined;
    let failure: Error | undefined;
    const cleanups: (() => void)[] = [];
    const settle = () => {
      if (settled) return;
      settled = true;
      cleanups.splice(0).reverse().forEach((fn) => fn());
      if (failure) reject(failure);
      else if (exitCode !== undefined) resolve(exitCode);
      else reject(new CliError('the exec stream closed before the command ended', EXIT_TRANSPORT_ERROR));
    };
    const onAbort = () => {
      failure = new CliError('interrupted', EXIT_INTERRUPTED);
      ws.terminate();
    };
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => opts.signal?.removeEventListener('abort', onAbort));

    ws.on('open', () => {
      const { cols, rows } = tty ? term.size() : { cols: 0, rows: 0 };
      ws.send(JSON.stringify({ type: 'open', token: session.tokenValue, tty, cols, rows }));
      if (tty) {
        term.setRawMode(true);
        // Whatever happens next, the user's terminal comes back as it was.
        cleanups.push(() => term.setRawMode(false));
        const off = term.onResize(() => {
          const s = term.size();
          if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', cols: s.cols, rows: s.rows }));
        });
        cleanups.push(off);
      }
      const onData = (chunk: Buffer | string) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, { binary: true });
      };
      const onEnd = () => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'eof' }));
      };
      term.stdin.on('data', onData);
      term.stdin.once('end', onEnd);
      term.stdin.resume();
      cleanups.push(() => {
        term.stdin.off('data', onData);
        term.stdin.off('end', onEnd);
        // A paused stdin no longer keeps the process alive.
        term.stdin.pause();
      });
    });
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) {
        if (buf.length < 2) return;
        const out = buf[0] === STDERR ? term.stderr : term.stdout;
        if (buf[0] !== STDOUT && buf[0] !== STDERR) return;
        // A slow terminal or pipe holds the stream back instead of filling this process.
        if (!out.write(buf.subarray(1))) {
          ws.pause();
          out.once('drain', () => ws.resume());
        }
        return;
      }
      let msg: { type?: string; exitCode?: number; code?: string; message?: string };
      try {
        msg = JSON.parse(buf.toString('utf8')) as typeof msg;
      } catch {
        return;
      }
      if (msg.type === 'exit' && typeof msg.exitCode === 'number') exitCode = msg.exitCode;
      else if (msg.type === 'error') failure = new CliError(`${msg.code ?? 'Error'}: ${msg.message ?? 'the exec session failed'}`, EXIT_API_ERROR);
      // 'started' and unknown kinds need nothing: a newer server may add some.
    });
    ws.on('error', (err) => {
      failure ??= new CliError(`exec stream: ${err.message}`, EXIT_TRANSPORT_ERROR);
      settle();
    });
    ws.on('close', settle);
  });
}
