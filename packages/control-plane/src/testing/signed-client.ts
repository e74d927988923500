import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';

/**
 * A SigV4-signing HTTP client for in-process tests, built on the same signer
 * the AWS SDKs use, so tests prove the API accepts what real clients send.
 */
export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials (a task role's): sent as X-Amz-Security-Token, as the SDKs do. */
  sessionToken?: string;
}

/** The `[default]` profile of an AWS shared-credentials file. */
export function readCredentialsFile(file: string, profile = 'default'): AccessKey {
  let section = '';
  const values: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(t);
    if (s) section = s[1]!.trim();
    else if (section === profile) {
      const eq = t.indexOf('=');
      if (eq > 0) values[t.slice(0, eq).trim()] = t.slice(eq + 1).trim();
    }
  }
  const accessKeyId = values['aws_access_key_id'];
  const secretAccessKey = values['aws_secret_access_key'];
  if (!accessKeyId || !secretAccessKey) throw new Error(`${file} has no [${profile}] access key`);
  return { accessKeyId, secretAccessKey };
}

export interface RawRequest {
  /** Full X-Amz-Target; omitted means no header. */
  target?: string;
  body: string | Buffer;
  headers?: Record<string, string>;
  /** Sign with this key (default: unsigned). */
  credentials?: AccessKey;
  region?: string;
  service?: string;
  signingDate?: Date;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, any>;
}

/** Headers for one request, signed when credentials are given. Host is the endpoint's, as fetch sends it. */
export async function requestHeaders(endpoint: string, req: RawRequest): Promise<Record<string, string>> {
  const url = new URL(endpoint);
  const body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    ...(req.target !== undefined ? { 'x-amz-target': req.target } : {}),
    // As the SDKs do: two identical calls in one second must not look like a replay.
    'amz-sdk-invocation-id': randomUUID(),
    ...req.headers,
  };
  if (!req.credentials) return headers;
  const byTarget = req.target?.startsWith('secretsmanager.') ? 'secretsmanager' : req.target?.startsWith('AnyScaleFrontendService.') ? 'application-autoscaling' : req.target?.startsWith('Logs_20140328.') ? 'logs' : 'ecs';
  const signer = new SignatureV4({ credentials: req.credentials, region: req.region ?? 'us-east-1', service: req.service ?? byTarget, sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign(
    { method: 'POST', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers: { ...headers, host: url.host }, body },
    req.signingDate ? { signingDate: req.signingDate } : {},
  );
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') out[k] = String(v);
  return out;
}

export async function rawCall(endpoint: string, req: RawRequest): Promise<RawResponse> {
  const res = await fetch(endpoint, { method: 'POST', headers: await requestHeaders(endpoint, req), body: req.body });
  const text = await res.text();
  let body: Record<string, any> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, any>) : {};
  } catch {
    body = { raw: text };
  }
  return { status: res.status, headers: res.headers, text, body };
}
