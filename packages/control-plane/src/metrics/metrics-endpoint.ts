import * as http from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { PrometheusMetrics } from './prometheus';

/** Writes the registry in the Prometheus text format. */
async function scrape(prom: PrometheusMetrics, res: http.ServerResponse): Promise<void> {
  const text = await prom.registry.metrics();
  res.writeHead(200, { 'content-type': prom.registry.contentType, 'cache-control': 'no-store' }).end(text);
}

/**
 * The scrape token (--metrics-token-file): at least 16 characters, and the
 * file must not be readable by others (it is a credential). Read once at
 * start; a bad file stops the control plane from starting (fail fast).
 */
export function readMetricsToken(file: string): Buffer {
  const st = statSync(file);
  if ((st.mode & 0o077) !== 0) throw new Error(`--metrics-token-file ${file}: must not be readable by group or others (chmod 600)`);
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 16 || !/^[\x21-\x7e]+$/.test(token)) throw new Error(`--metrics-token-file ${file}: the token must be at least 16 printable characters, no spaces`);
  return Buffer.from(token);
}

/** Constant-time check of `Authorization: Bearer <token>` (hashes first, so lengths do not leak either). */
export function bearerMatches(header: string | undefined, token: Buffer): boolean {
  const m = /^Bearer ([\x21-\x7e]+)$/.exec(header ?? '');
  if (!m) return false;
  const a = createHash('sha256').update(m[1]!).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/**
 * `GET /metrics` on the API endpoint (HTTPS off loopback, like every API
 * call): only with the scrape token. Without --metrics-token-file it does not
 * exist there (404), and scrapes go to the loopback --metrics-listen.
 */
export function apiMetricsRoute(prom: PrometheusMetrics, token: Buffer | undefined): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    if (!token) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: start the control plane with --metrics-token-file to scrape here\n');
      return;
    }
    if (!bearerMatches(req.headers.authorization, token)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="stevedore-metrics"' }).end('unauthorized\n');
      return;
    }
    scrape(prom, res).catch(() => res.writeHead(500).end());
  };
}

/**
 * The loopback scrape listener (--metrics-listen, refused off loopback by the
 * config): anyone on the host may read it, as anyone on the host can read the
 * process list. Serves `GET /metrics` only.
 */
export function createMetricsServer(prom: PrometheusMetrics): http.Server {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    scrape(prom, res).catch(() => res.writeHead(500).end());
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return server;
}
