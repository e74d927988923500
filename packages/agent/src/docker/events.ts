import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { ContainerEvent, DockerHealth, EventHandlers, Subscription } from '../exec/container-controller';
import { DOCKER_TIMEOUTS } from './timeouts';

interface RawEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

const KINDS = new Set(['create', 'start', 'die', 'oom', 'destroy', 'stop', 'kill']);

/**
 * Docker event -> ContainerEvent, or undefined for what the agent ignores.
 * Actions may carry a ": detail" suffix (`health_status: healthy`); health
 * probes also emit exec_* events on every probe, which are noise here.
 */
export function parseDockerEvent(raw: RawEvent): ContainerEvent | undefined {
  if (raw.Type && raw.Type !== 'container') return undefined;
  const action = raw.Action ?? raw.status ?? '';
  const runtimeId = raw.Actor?.ID ?? raw.id;
  if (!runtimeId) return undefined;
  const attrs = raw.Actor?.Attributes ?? {};
  const time = raw.timeNano ? Math.floor(raw.timeNano / 1e6) : (raw.time ?? 0) * 1000;
  const [verb, detail] = action.split(':').map((s) => s.trim()) as [string, string | undefined];
  if (verb === 'health_status') {
    if (detail !== 'healthy' && detail !== 'unhealthy' && detail !== 'starting') return undefined;
    return { kind: 'health', runtimeId, labels: attrs, health: detail as DockerHealth, time };
  }
  if (!KINDS.has(verb) || detail !== undefined) return undefined;
  const ev: ContainerEvent = { kind: verb as ContainerEvent['kind'], runtimeId, labels: attrs, time };
  if (verb === 'die' && attrs['exitCode'] !== undefined) ev.exitCode = Number(attrs['exitCode']);
  return ev;
}

/** Splits a byte stream of newline-delimited JSON; a chunk may hold several events or half of one. */
export class JsonLines {
  private buf = '';
  push(chunk: Buffer | string): unknown[] {
    this.buf += chunk.toString();
    const out: unknown[] = [];
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line) {
        try {
          out.push(JSON.parse(line));
        } catch {
          // A malformed line cannot be acted upon; the periodic resync covers it.
        }
      }
    }
    return out;
  }
}

/**
 * A container event subscription that survives dockerd restarts: when the
 * stream breaks it reopens it with a capped backoff and calls onReconnected
 * (also after the first open), so the worker re-inspects everything it may
 * have missed.
 */
export function subscribeDockerEvents(docker: Docker, labels: Record<string, string>, handlers: EventHandlers, log: Logger): Subscription {
  let closed = false;
  let current: NodeJS.ReadableStream | undefined;
  let wake: (() => void) | undefined;
  const filters = { type: ['container' as const], label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };

  const consume = (stream: NodeJS.ReadableStream) =>
    new Promise<void>((resolve) => {
      const lines = new JsonLines();
      stream.on('data', (chunk: Buffer) => {
        for (const raw of lines.push(chunk)) {
          const ev = parseDockerEvent(raw as RawEvent);
          if (ev) handlers.onEvent(ev);
        }
      });
      stream.once('end', () => resolve());
      stream.once('close', () => resolve());
      stream.once('error', (err: Error) => {
        log.warn({ err: err.message }, 'docker event stream error');
        resolve();
      });
    });

  const loop = async () => {
    let delay: number = DOCKER_TIMEOUTS.eventsReconnect;
    while (!closed) {
      try {
        current = (await docker.getEvents({ filters })) as unknown as NodeJS.ReadableStream;
        if (closed) break;
        log.info('docker event stream open');
        delay = DOCKER_TIMEOUTS.eventsReconnect;
        handlers.onReconnected();
        await consume(current);
        if (!closed) log.warn('docker event stream ended; reopening');
      } catch (err) {
        log.warn({ err: (err as Error).message, retryInMs: delay }, 'cannot open docker event stream');
      }
      if (closed) break;
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, delay).unref();
      });
      delay = Math.min(delay * 2, DOCKER_TIMEOUTS.eventsReconnectMax);
    }
  };
  void loop();
  return {
    close() {
      closed = true;
      wake?.();
      const s = current as unknown as { destroy?: () => void } | undefined;
      s?.destroy?.();
    },
  };
}
