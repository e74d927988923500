import { useEffect, useRef, useState } from 'preact/hooks';
import { describeEnd, ExecStream, type ExecSessionInfo } from '../api/exec-stream';
import { useApp } from './app-context';
import { ErrorText } from './components';

/**
 * The page's style nonce (index.html's meta tag, filled in per response by
 * the control plane). Its CSP allows <style> elements with that nonce only.
 */
function styleNonce(): string | undefined {
  const v = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content;
  return v && v !== '__CSP_NONCE__' ? v : undefined;
}

/**
 * xterm.js writes its theme and cell metrics into <style> elements it adds
 * under the terminal (xtermjs/xterm.js#4445) and takes no nonce. Each one
 * that appears under `root` gets the page's nonce, and its text is set again
 * so the browser applies it (the first attempt, without the nonce, was
 * refused by the CSP); later updates by xterm carry the nonce already.
 */
function stampStyleNonces(root: HTMLElement): () => void {
  const nonce = styleNonce();
  if (!nonce) return () => undefined;
  const stamp = (el: HTMLStyleElement) => {
    if (el.nonce === nonce) return;
    el.nonce = nonce;
    el.textContent = el.textContent ?? '';
  };
  const observer = new MutationObserver((records) => {
    for (const r of records)
      for (const n of r.addedNodes) {
        if (n instanceof HTMLStyleElement) stamp(n);
        else if (n instanceof HTMLElement) n.querySelectorAll('style').forEach(stamp);
      }
  });
  observer.observe(root, { childList: true, subtree: true });
  return () => observer.disconnect();
}

type Phase = 'connecting' | 'open' | 'ended';

/**
 * An interactive shell in a running container (ECS Exec): ExecuteCommand
 * opens a session, its stream carries the terminal (xterm.js) both ways.
 * The terminal follows its box's size (the remote TTY is resized), shows
 * the exit code when the shell ends, and closes when the task stops.
 */
export function ExecTerminal(props: { cluster: string; task: string; container: string; taskStopped: boolean; onClose: () => void }) {
  const { client } = useApp();
  const box = useRef<HTMLDivElement>(null);
  const stream = useRef<ExecStream>();
  const [phase, setPhase] = useState<Phase>('connecting');
  const [ended, setEnded] = useState<string>();
  const [error, setError] = useState<string>();
  const [size, setSize] = useState<{ cols: number; rows: number }>();

  useEffect(() => {
    let disposed = false;
    const cleanups: (() => void)[] = [];
    const el = box.current;
    if (!el) return;
    cleanups.push(stampStyleNonces(el));
    (async () => {
      // Loaded when a terminal is first opened: most visits never need it.
      const [{ Terminal }, { FitAddon }] = await Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]);
      if (disposed) return;
      const term = new Terminal({ cursorBlink: true, fontSize: 14, fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace', scrollback: 5000 });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(el);
      cleanups.push(() => term.dispose());
      fit.fit();
      const r = await client.call<{ session: ExecSessionInfo }>('ecs', 'ExecuteCommand', { cluster: props.cluster, task: props.task, container: props.container, command: '/bin/sh', interactive: true });
      if (disposed) return;
      const s = new ExecStream(new WebSocket(r.session.streamUrl), r.session, { cols: term.cols, rows: term.rows }, {
        output: (data) => term.write(data),
        started: () => setPhase('open'),
        ended: (end) => {
          term.options.disableStdin = true;
          term.options.cursorBlink = false;
          setPhase('ended');
          setEnded(describeEnd(end));
        },
      });
      stream.current = s;
      cleanups.push(() => s.close());
      const onData = term.onData((d) => s.input(d));
      setSize({ cols: term.cols, rows: term.rows });
      const onResize = term.onResize(({ cols, rows }) => {
        s.resize(cols, rows);
        setSize({ cols, rows });
      });
      // The box follows the window (a phone turned, a sidebar opened): refit, and the remote TTY follows.
      const observer = new ResizeObserver(() => fit.fit());
      observer.observe(el);
      cleanups.push(() => (onData.dispose(), onResize.dispose(), observer.disconnect()));
      term.focus();
    })().catch((e: unknown) => {
      if (disposed) return;
      setPhase('ended');
      setError(`Could not open a session: ${e instanceof Error ? e.message : String(e)}`);
    });
    return () => {
      disposed = true;
      stream.current = undefined;
      cleanups.splice(0).reverse().forEach((fn) => fn());
    };
  }, [props.cluster, props.task, props.container]);

  // The control plane ends the session when the task stops; if the page sees it first, it closes the stream itself.
  useEffect(() => {
    if (!props.taskStopped || phase === 'ended') return;
    stream.current?.close();
    setPhase('ended');
    setEnded('The task stopped: the session is closed.');
  }, [props.taskStopped]);

  return (
    <div class="terminal">
      <p class="terminal-state" role="status" aria-live="polite" data-phase={phase}>
        {phase === 'connecting' ? 'Connecting…' : phase === 'open' ? `Shell in ${props.container} (/bin/sh). Type exit to end it.` : (ended ?? 'Session ended.')}
      </p>
      <ErrorText error={error} />
      <div ref={box} class="terminal-box" role="group" aria-label={`Terminal of container ${props.container}`} data-cols={size?.cols} data-rows={size?.rows} />
      <button type="button" onClick={props.onClose}>
        {phase === 'ended' ? 'Close terminal' : 'End session'}
      </button>
    </div>
  );
}
