import * as http from 'node:http';
import * as https from 'node:https';
import type * as tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * Pieces of the load-balancer host's integration tests against the real
 * haproxy binary, on loopback only: small HTTP targets, clients (plain,
 * keep-alive, HTTPS) and self-signed certificates.
 */

export interface Backend {
  name: string;
  port: number;
  /** What `/health` answers: tests flip it to fail a target. */
  status: number;
  server: http.Server;
}

/** A target answering its name on `/`, `status` on `/health` and, after 1.5 s, on `/slow`. */
export function startBackend(name: string, ip: string): Promise<Backend> {
  const b: Backend = { name, port: 0, status: 200, server: http.createServer() };
  b.server.on('request', (req, res) => {
    if (req.url === '/health') return void res.writeHead(b.status).end(`${b.status}`);
    if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end(`${name} slow`), 1500);
    res.writeHead(200).end(name);
  });
  return new Promise((resolve) =>
    b.server.listen(0, ip, () => {
      b.port = (b.server.address() as { port: number }).port;
      resolve(b);
    }),
  );
}

/** A port free on `ip` right now (for a listener HAProxy binds next). */
export function freePort(ip: string): Promise<number> {
  return new Promise((resolve) => {
    const s = http.createServer().listen(0, ip, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One GET, on a fresh connection unless an agent is given. */
export function httpGet(ip: string, port: number, urlPath: string, headers: Record<string, string> = {}, agent: http.Agent | false = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: ip, port, path: urlPath, agent, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Polls an async condition until it holds, with a deadline (never a blind sleep). */
export async function waitUntil<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Requests on one keep-alive connection after another (two clients), as a browser or a pooled client sends them. */
export function keepAliveLoad(ip: string, port: number, urlPath = '/'): { stop: () => Promise<{ ok: number; failures: string[]; sockets: number }> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const failures: string[] = [];
  const sockets = new Set<unknown>();
  let ok = 0;
  let done = false;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.get({ host: ip, port, path: urlPath, agent }, (res) => {
        sockets.add(req.socket);
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) ok++;
          else failures.push(`HTTP ${res.statusCode}`);
          resolve();
        });
      });
      req.setTimeout(5000, () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        failures.push(e.message);
        resolve();
      });
    });
  const loops = [0, 1].map(async () => {
    while (!done) await one();
  });
  return {
    stop: async () => {
      done = true;
      await Promise.all(loops);
      agent.destroy();
      return { ok, failures, sockets: sockets.size };
    },
  };
}

/** A self-signed EC certificate for `name`, with its key, as one PEM bundle (openssl is on the machine). */
export function selfSigned(name: string): { pem: string; cert: string } {
  const d = mkdtempSync(path.join(tmpdir(), 'sv-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${d}/k`, '-out', `${d}/c`, '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`], { stdio: 'ignore' });
  const cert = readFileSync(`${d}/c`, 'utf8');
  const pem = cert + readFileSync(`${d}/k`, 'utf8');
  rmSync(d, { recursive: true, force: true });
  return { pem, cert };
}

/** The certificate HAProxy presents for an SNI name, and the body of a request over that connection (a given agent keeps it alive). */
export function httpsGet(ip: string, port: number, servername: string, ca: string[], anyName = false, agent: https.Agent | false = false): Promise<{ cn: string; fingerprint: string; body: string; socket: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: ip, port, servername, ca, path: '/', agent, headers: { host: servername }, ...(anyName ? { checkServerIdentity: () => undefined } : {}) }, (res) => {
      const socket = res.socket as tls.TLSSocket;
      const peer = socket.getPeerCertificate();
      const cn = String(peer.subject?.CN ?? '');
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ cn, fingerprint: peer.fingerprint256, body, socket }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
