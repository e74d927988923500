import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Set for temporary credentials (a console session). */
  sessionToken?: string;
}

export interface UnsignedRequest {
  /** host[:port] as the browser will send it (location.host). */
  host: string;
  protocol: 'http:' | 'https:';
  method: 'POST' | 'GET';
  path: string;
  /** Query parameters (REST protocols), signed in canonical order. */
  query?: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

/**
 * Signs one API request with SigV4, the way the AWS SDKs do, in the
 * browser: the secret never leaves it, only the signature does. The Host
 * header is signed but not returned: the browser sets it itself (it is a
 * forbidden header name for fetch), to the same value.
 */
export async function signRequest(req: UnsignedRequest, creds: Credentials, region: string, service: string, now: Date): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, ...(creds.sessionToken ? { sessionToken: creds.sessionToken } : {}) },
    region,
    service,
    sha256: Sha256,
    uriEscapePath: true,
  });
  const [hostname, port] = splitHost(req.host);
  const signed = await signer.sign(
    { method: req.method, protocol: req.protocol, hostname, ...(port !== undefined ? { port } : {}), path: req.path, query: req.query ?? {}, headers: { ...req.headers, host: req.host }, body: req.body },
    { signingDate: now },
  );
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) if (k.toLowerCase() !== 'host') out[k] = String(v);
  return out;
}

function splitHost(host: string): [string, number | undefined] {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  if (!m) return [host, undefined];
  return [m[1]!, m[2] !== undefined ? Number(m[2]) : undefined];
}
