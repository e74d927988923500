import * as fs from 'node:fs';
import * as http from 'node:http';
import type { Logger } from 'pino';

/** Where the agent's health endpoint listens: a unix socket (the default, in the data dir) or a loopback HOST:PORT. */
export type HealthListen = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number } | { kind: 'off'; reason?: string };

export interface AgentHealth {
  /** The replica the agent's session is with, while one is up. */
  controlPlane: string | undefined;
  instanceId: string | undefined;
  /** ms since epoch the current session opened. */
  connectedSince: number | undefined;
}

/**
 * The agent's own health, local only (operators, systemd, monitoring on the
 * host): `GET /ping` answers while the process runs, `GET /ready` 200 while a
 * session with a control-plane replica is up, 503 otherwise (tasks keep
 * running either way). No authentication, so nothing beyond these fields.
 */
export class HealthServer {
  private server: http.Server | undefined;

  constructor(
    private readonly listen: HealthListen,
    private readonly health: () => AgentHealth,
    private readonly log: Logger,
  ) {}

  /** The address it listens on (a socket path or HOST:PORT), undefined when off. */
  async start(): Promise<string | undefined> {
    const l = this.listen;
    if (l.kind === 'off') {
      if (l.reason) this.log.warn({ reason: l.reason }, 'no health endpoint');
      return undefined;
    }
    const server = http.createServer((req, res) => this.handle(req, res));
    this.server = server;
    if (l.kind === 'unix') {
      // A socket left by a killed agent would make listen fail.
      fs.rmSync(l.path, { force: true });
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        resolve();
      };
      if (l.kind === 'unix') server.listen(l.path, done);
      else server.listen(l.port, l.host, done);
    });
    // Local users only: the socket is the agent user's (its data dir is 0700 as well).
    if (l.kind === 'unix') fs.chmodSync(l.path, 0o600);
    const addr = server.address();
    const where = l.kind === 'unix' ? l.path : `${l.host}:${typeof addr === 'object' && addr ? addr.port : l.port}`;
    this.log.info({ health: where }, 'health endpoint listening (GET /ping, GET /ready)');
    return where;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (url === '/ping') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (url === '/ready') {
      const h = this.health();
      const ready = h.controlPlane !== undefined;
      const body = { ready, connected: ready, controlPlane: h.controlPlane ?? null, instanceId: h.instanceId ?? null, connectedSince: h.connectedSince ?? null };
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);
      return;
    }
    res.writeHead(404).end();
  }

  stop(): void {
    this.server?.close();
    this.server?.closeAllConnections();
    if (this.listen.kind === 'unix') fs.rmSync(this.listen.path, { force: true });
    this.server = undefined;
  }
}
