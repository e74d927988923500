import * as net from 'node:net';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { DOCKER_TIMEOUTS } from '../docker/timeouts';

/**
 * The container side of a TCP target's health check, for HAProxy's
 * `agent-check` on load-balancer hosts.
 *
 * Why: a TCP target group's check connects to the published host port, and
 * docker-proxy accepts that connection itself before it tries the
 * container; a container that is not listening (yet) looks healthy. So the
 * agent of the task's host answers for its own containers: HAProxy connects
 * to this server (host IP, `--target-check-port`), sends the published port
 * (`agent-send`), and gets `up` when the container accepts a connection on
 * its own address and port, `down` when it does not. HAProxy marks a server
 * DOWN on `down`, and never UP on `up` alone (its own check must pass too).
 *
 * The probe is the connection docker-proxy itself makes for every client
 * (host namespace -> container address on its bridge), never anything else:
 * only ports published by this instance's containers on its host IP are
 * probed. A port no container of this instance publishes is answered `up`
 * (no objection: a host process, say, is checked by HAProxy alone). HAProxy
 * treats an agent it cannot reach the same way, so a host without this
 * server keeps plain TCP checks.
 */

export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

/** Published TCP ports of running containers with these labels, with each container's own address: one list call, no inspect. */
export async function publishedPorts(docker: Docker, labels: Record<string, string>): Promise<PublishedPort[]> {
  const list = await docker.listContainers({
    filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`), status: ['running'] },
    abortSignal: AbortSignal.timeout(DOCKER_TIMEOUTS.list),
  } as Docker.ContainerListOptions);
  return list.flatMap((c) => {
    const ip = Object.values(c.NetworkSettings?.Networks ?? {})
      .map((n) => n.IPAddress)
      .find((a) => typeof a === 'string' && a !== '');
    if (!ip) return [];
    return (c.Ports ?? []).filter((p) => p.Type === 'tcp' && typeof p.PublicPort === 'number').map((p) => ({ hostIp: p.IP ?? '', hostPort: p.PublicPort, containerIp: ip, containerPort: p.PrivatePort }));
  });
}

export interface TargetCheckOptions {
  hostIp: string;
  port: number;
  ports: () => Promise<PublishedPort[]>;
  log: Logger;
  /** How long the container has to accept the probe's connection. */
  probeTimeoutMs?: number;
  /** How long one listing of the ports serves (checks of every target run every few seconds). */
  cacheMs?: number;
}

/** What to answer for a published port: `up`, `down`, or `up` when no container of ours publishes it. */
export async function targetVerdict(hostPort: number, hostIp: string, ports: PublishedPort[], probe: (ip: string, port: number) => Promise<boolean>): Promise<'up' | 'down'> {
  const p = ports.find((x) => x.hostPort === hostPort && (x.hostIp === hostIp || x.hostIp === '0.0.0.0' || x.hostIp === ''));
  if (!p) return 'up';
  return (await probe(p.containerIp, p.containerPort)) ? 'up' : 'down';
}

export function tcpProbe(ip: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: ip, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export class TargetCheckServer {
  private server: net.Server | undefined;
  private cache: { at: number; ports: Promise<PublishedPort[]> } | undefined;

  constructor(private readonly o: TargetCheckOptions) {}

  /** Listens on the host IP; resolves with the port, or undefined (logged) when it cannot: TCP checks then stay HAProxy's alone. */
  async start(): Promise<number | undefined> {
    if (this.o.port === 0) return undefined;
    const server = net.createServer((sock) => this.answer(sock));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.o.port, this.o.hostIp, () => resolve());
      });
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message, port: this.o.port }, 'target check server not started: TCP target groups are checked through published ports only');
      return undefined;
    }
    server.on('error', (e) => this.o.log.warn({ err: e.message }, 'target check server error'));
    this.server = server;
    return this.o.port;
  }

  stop(): void {
    this.server?.close();
  }

  private ports(): Promise<PublishedPort[]> {
    const now = Date.now();
    if (!this.cache || now - this.cache.at > (this.o.cacheMs ?? 1000)) this.cache = { at: now, ports: this.o.ports().catch((): PublishedPort[] => []) };
    return this.cache.ports;
  }

  private answer(sock: net.Socket): void {
    let input = '';
    sock.setTimeout(2000, () => sock.destroy());
    sock.on('error', () => sock.destroy());
    sock.on('data', (d: Buffer) => {
      input += d.toString('latin1');
      // HAProxy writes its agent-send string in one go: the published port, in digits.
      const m = /(\d{1,5})/.exec(input);
      if (!m) {
        if (input.length > 64) sock.destroy();
        return;
      }
      sock.removeAllListeners('data');
      void (async () => {
        const verdict = await targetVerdict(Number(m[1]), this.o.hostIp, await this.ports(), (ip, port) => tcpProbe(ip, port, this.o.probeTimeoutMs ?? 1000));
        sock.end(`${verdict}\n`);
      })();
    });
  }
}
