import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type * as http from 'node:http';

/**
 * Where the web console's built assets are: beside a release bundle
 * (console-web/, scripts/package/bundle.mjs), else packages/console/web of
 * the checkout; undefined when neither is there.
 */
export function defaultConsoleDir(): string | undefined {
  const besideBundle = path.join(__dirname, 'console-web');
  if (fs.existsSync(path.join(besideBundle, 'index.html'))) return besideBundle;
  try {
    return path.join(path.dirname(require.resolve('@stevedore/console/package.json')), 'web');
  } catch {
    return undefined;
  }
}

const CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['.html', 'text/html; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.svg', 'image/svg+xml'],
  ['.png', 'image/png'],
  ['.ico', 'image/x-icon'],
  ['.json', 'application/json'],
  ['.txt', 'text/plain; charset=utf-8'],
  ['.woff2', 'font/woff2'],
]);

/**
 * The console is a client of the public API like any other: it may call
 * this origin (connect-src 'self', which covers the exec stream's ws: and
 * wss: on the same host) and nothing else, runs only its own scripts (no
 * inline script, no eval), and cannot be framed. Style elements need the
 * page's nonce: the terminal library (xterm.js) writes its theme and cell
 * metrics into <style> elements, which the console stamps with the nonce of
 * the index.html it was loaded with (ui/terminal.tsx); nothing else inline
 * is allowed.
 */
export function consoleCsp(nonce?: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    nonce !== undefined ? `style-src 'self' 'nonce-${nonce}'` : "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The policy of the static assets (no page, so no nonce). */
export const CONSOLE_CSP = consoleCsp();

/** What index.html says where the per-response nonce goes (`<meta name="csp-nonce" content="...">`). */
export const NONCE_PLACEHOLDER = '__CSP_NONCE__';

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * GET /console/...: the console's static files, read once into memory (a
 * few hundred kilobytes) and looked up in a Map by exact path, so no request
 * path ever reaches the file system. Vite's content-hashed files under
 * assets/ are cached for a year; index.html is revalidated each time so a
 * new build is picked up. Any other path without a file extension is a page
 * of the app (history routing): it gets index.html.
 */
export function createConsoleRoute(dir: string | undefined): http.RequestListener {
  let assets: Map<string, Asset> | undefined;
  const load = (): Map<string, Asset> => {
    if (assets) return assets;
    const found = new Map<string, Asset>();
    const walk = (d: string, rel: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(path.join(d, e.name), r);
        else if (e.isFile()) {
          const body = fs.readFileSync(path.join(d, e.name));
          found.set(r, { body, type: CONTENT_TYPES.get(path.extname(e.name)) ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
        }
      }
    };
    if (dir && fs.existsSync(path.join(dir, 'index.html'))) walk(dir, '');
    // Kept only once the build is there: a control plane started before `npm run build` finds it later.
    if (found.size > 0) assets = found;
    return found;
  };
  return (req, res) => {
    const url = (req.url ?? '/').split('?')[0]!;
    if (url === '/console') {
      res.writeHead(301, { location: '/console/' }).end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    const files = load();
    const index = files.get('index.html');
    if (!index) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('The web console is not built: run npm run build.\n');
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(url.slice('/console/'.length));
    } catch {
      rel = '\0';
    }
    let asset = files.get(rel);
    // A page of the app (no extension) gets the app; a missing file is a 404, not HTML a script tag would choke on.
    if (!asset && !/\.[A-Za-z0-9]{1,8}$/.test(rel)) asset = index;
    if (!asset) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end('Not found\n');
      return;
    }
    const common: http.OutgoingHttpHeaders = {
      'content-type': asset.type,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
    };
    if (asset === index) {
      // A fresh nonce each time, so the page is never reused from a cache (no ETag, no-store).
      const nonce = randomBytes(18).toString('base64');
      const body = Buffer.from(asset.body.toString('utf8').replaceAll(NONCE_PLACEHOLDER, nonce));
      res.writeHead(200, { ...common, 'cache-control': 'no-store', 'content-security-policy': consoleCsp(nonce), 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const immutable = rel.startsWith('assets/');
    const headers: http.OutgoingHttpHeaders = {
      ...common,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag: asset.etag,
      'content-security-policy': CONSOLE_CSP,
    };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': asset.body.length });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };
}
