/**
 * A small ECS JSON client for tests, independent of the CLI so that an e2e
 * test does not trust the code it checks. `callRaw` sends arbitrary bytes for
 * bad-input tests. Requests are signed with SigV4 by the AWS SDKs' own signer
 * when credentials are given (the control plane refuses unsigned calls).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';

export const ECS_TARGET = 'AmazonEC2ContainerServiceV20141113';
export const STEVEDORE_TARGET = 'Stevedore_20261125';

export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';
  constructor(
    readonly type: string,
    message: string,
    readonly status: number,
    readonly operation: string,
  ) {
    super(`${operation}: ${type}: ${message} (HTTP ${status})`);
  }
  /** The server's message without the operation/type prefix. */
  get serverMessage(): string {
    return this.message.replace(/^[^:]+: [^:]+: /, '').replace(/ \(HTTP \d+\)$/, '');
  }
}

/** An access key, as in an AWS shared-credentials file. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** One profile of an AWS shared-credentials file (what the control plane writes on first start). */
export function readCredentialsFile(file: string, profile = 'default'): Credentials {
  let section = '';
  const v: Record<string, string> = {};
  for (const raw of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) section = s[1]!.trim();
    else if (section === profile && line.includes('=')) v[line.slice(0, line.indexOf('=')).trim()] = line.slice(line.indexOf('=') + 1).trim();
  }
  if (!v['aws_access_key_id'] || !v['aws_secret_access_key']) throw new Error(`${file} has no [${profile}] access key`);
  return { accessKeyId: v['aws_access_key_id'], secretAccessKey: v['aws_secret_access_key'] };
}

/** CA bundles to verify https:// endpoints with, by origin (a control plane's <data-dir>/api-ca.pem). */
const trustedCas = new Map<string, string>();

/** Calls to this endpoint (https://) verify its certificate with this CA bundle. */
export function trustApiCa(endpoint: string, caPem: string): void {
  trustedCas.set(new URL(endpoint).origin, caPem);
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Parsed body when it is JSON. */
  json: unknown;
}

export interface RawRequest {
  /** Full X-Amz-Target value; omitted means no header. */
  target?: string;
  body: string | Buffer;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Sign with this key (SigV4, service ecs); unsigned when absent. */
  credentials?: Credentials;
  region?: string;
}

async function sign(url: URL, headers: Record<string, string>, body: Buffer, creds: Credentials, region: string): Promise<Record<string, string>> {
  const target = headers['x-amz-target'] ?? '';
  const service = target.startsWith('secretsmanager.') ? 'secretsmanager' : target.startsWith('AnyScaleFrontendService.') ? 'application-autoscaling' : target.startsWith('Logs_20140328.') ? 'logs' : target.startsWith('CertificateManager.') ? 'acm' : 'ecs';
  const signer = new SignatureV4({ credentials: creds, region, service, sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign({ method: 'POST', protocol: url.protocol, hostname: url.hostname, path: '/', query: {}, headers: { ...headers, host: url.host }, body });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) out[k] = String(v);
  return out;
}

/** The request's body and headers, signed when it carries credentials. */
async function prepare(endpoint: string, req: RawRequest): Promise<{ body: Buffer; headers: Record<string, string> }> {
  const body = typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': String(body.length),
    // Unique per call, as the SDKs send it: two identical calls in one second are not a replay.
    'amz-sdk-invocation-id': randomUUID(),
    ...(req.target !== undefined ? { 'x-amz-target': req.target } : {}),
    ...req.headers,
  };
  return { body, headers: req.credentials ? await sign(new URL('/', endpoint), headers, body, req.credentials, req.region ?? 'us-east-1') : headers };
}

export async function callRaw(endpoint: string, req: RawRequest): Promise<RawResponse> {
  const { body, headers } = await prepare(endpoint, req);
  const url = new URL('/', endpoint);
  const ca = trustedCas.get(url.origin);
  const send = url.protocol === 'https:' ? (cb: (res: http.IncomingMessage) => void) => https.request(url, { method: 'POST', headers, ...(ca ? { ca } : {}) }, cb) : (cb: (res: http.IncomingMessage) => void) => http.request(url, { method: 'POST', headers }, cb);
  return new Promise((resolve, reject) => {
    const r = send((res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    r.setTimeout(req.timeoutMs ?? 15_000, () => r.destroy(new Error(`no reply from ${endpoint} within ${req.timeoutMs ?? 15_000} ms`)));
    r.on('error', reject);
    r.end(body);
  });
}

/**
 * A signed call whose response is handed over unread (GetTaskLogs streams):
 * the caller reads, pauses or destroys it as it likes.
 */
export async function streamRaw(endpoint: string, req: RawRequest): Promise<http.IncomingMessage> {
  const { body, headers } = await prepare(endpoint, req);
  return new Promise((resolve, reject) => {
    const r = http.request(new URL('/', endpoint), { method: 'POST', headers }, resolve);
    r.on('error', reject);
    r.end(body);
  });
}

/** One ECS call: parsed JSON on 2xx, ApiCallError with `__type` otherwise. */
export async function call<T = any>(endpoint: string, operation: string, body: object = {}, targetPrefix = ECS_TARGET, credentials?: Credentials): Promise<T> {
  const res = await callRaw(endpoint, { target: `${targetPrefix}.${operation}`, body: JSON.stringify(body), ...(credentials ? { credentials } : {}) });
  if (res.status >= 200 && res.status < 300) return (res.json ?? {}) as T;
  const err = (res.json ?? {}) as { __type?: string; message?: string; Message?: string };
  const type = (err.__type ?? `HTTP${res.status}`).split('#').pop()!;
  throw new ApiCallError(type, err.message ?? err.Message ?? res.text.slice(0, 500), res.status, operation);
}

/** GET a URL with a short deadline; undefined instead of throwing, for waitFor. */
export function httpGet(url: string, timeoutMs = 2000): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const r = http.get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve(undefined));
    });
    r.setTimeout(timeoutMs, () => r.destroy());
    r.on('error', () => resolve(undefined));
  });
}
