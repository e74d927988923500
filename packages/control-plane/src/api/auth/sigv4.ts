import { createHash, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { StevedoreError } from '@stevedore/core';

/**
 * Verification of AWS Signature Version 4 on a received request, the way AWS
 * checks what its SDKs and CLI sign: the signature is computed again with
 * @smithy/signature-v4 (the SDKs' own signer) over the received method, path,
 * query, the headers the client listed as signed and the hash of the exact
 * body bytes, then compared in constant time. Only the Authorization-header
 * form is accepted (the JSON protocols never presign).
 */
export interface ReceivedRequest {
  method: string;
  /** Path and query as received (`req.url`). */
  url: string;
  /** Lower-case names, every value of repeated headers (`req.headersDistinct`). */
  headers: Record<string, string[] | undefined>;
  body: Buffer;
}

export interface VerifyOptions {
  nowMs: number;
  /** The configured region: the credential scope must name it. */
  region: string;
  /** Signing service names this request may be scoped to (from its X-Amz-Target). */
  services: readonly string[];
  secretFor(accessKeyId: string): string | undefined;
  maxSkewMs?: number;
}

export interface VerifiedRequest {
  accessKeyId: string;
  service: string;
  signature: string;
  signedAtMs: number;
}

export const MAX_SKEW_MS = 5 * 60_000;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const sha256 = Hash.bind(null, 'sha256');

export const MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** Refusals carry the access key id (never the signature) for the caller's log line. */
export class AuthError extends StevedoreError {
  override readonly name = 'AuthError';
  constructor(
    code: 'UnrecognizedClientException' | 'InvalidSignatureException' | 'ExpiredTokenException',
    message: string,
    readonly accessKeyId?: string,
  ) {
    super(code, message);
  }
}

const invalid = (message: string, accessKeyId?: string) => new AuthError('InvalidSignatureException', message, accessKeyId);

function isFormBody(req: ReceivedRequest): boolean {
  return (header(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

function header(req: ReceivedRequest, name: string): string | undefined {
  const v = req.headers[name];
  return v === undefined ? undefined : v.join(',');
}

interface ParsedAuthorization {
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(value: string): ParsedAuthorization {
  if (!value.startsWith(`${ALGORITHM} `)) {
    throw invalid(`Unsupported signing algorithm: only ${ALGORITHM} (Signature Version 4) is accepted.`);
  }
  const fields = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((k) => !fields.get(k));
  if (missing.length > 0) throw invalid(missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' '));
  const credential = fields.get('Credential')!.split('/');
  if (credential.length !== 5 || credential.some((c) => c === '')) {
    throw invalid(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${fields.get('Credential')!.slice(0, 200)}'.`);
  }
  const [accessKeyId, shortDate, region, service, terminator] = credential as [string, string, string, string, string];
  const signature = fields.get('Signature')!;
  if (!/^[0-9a-f]{64}$/.test(signature)) throw invalid(MISMATCH_MESSAGE, accessKeyId);
  const signedHeaders = fields.get('SignedHeaders')!.split(';');
  if (signedHeaders.some((h) => !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(h)) || signedHeaders.length > 64) {
    throw invalid('SignedHeaders must be a semicolon-separated list of lower-case header names.', accessKeyId);
  }
  return { accessKeyId, shortDate, region, service, terminator, signedHeaders, signature };
}

function parseAmzDate(value: string | undefined, accessKeyId: string): number {
  const m = value === undefined ? null : AMZ_DATE.exec(value);
  if (!m) {
    throw invalid(`Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header; Stevedore needs X-Amz-Date in ISO-8601 basic format (YYYYMMDD'T'HHMMSS'Z').`, accessKeyId);
  }
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  if (Number.isNaN(ms)) throw invalid(`X-Amz-Date is not a valid date: ${value}.`, accessKeyId);
  return ms;
}

const basic = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');

function checkSkew(signedAtMs: number, nowMs: number, maxSkewMs: number, accessKeyId: string): void {
  const mins = Math.round(maxSkewMs / 60_000);
  if (signedAtMs < nowMs - maxSkewMs) {
    throw invalid(`Signature expired: ${basic(signedAtMs)} is now earlier than ${basic(nowMs - maxSkewMs)} (${basic(nowMs)} - ${mins} min.)`, accessKeyId);
  }
  if (signedAtMs > nowMs + maxSkewMs) {
    throw invalid(`Signature not yet current: ${basic(signedAtMs)} is still later than ${basic(nowMs + maxSkewMs)} (${basic(nowMs)} + ${mins} min.)`, accessKeyId);
  }
}

function splitUrl(url: string): { path: string; query: Record<string, string | string[]> } {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  if (q >= 0) {
    for (const [k, v] of new URLSearchParams(url.slice(q + 1))) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
  }
  // The path goes in as sent: the signer URI-encodes it, as the client's did.
  return { path, query };
}

export async function verifySigV4(req: ReceivedRequest, opts: VerifyOptions): Promise<VerifiedRequest> {
  const authorization = header(req, 'authorization');
  if (authorization === undefined) {
    if (/[?&]X-Amz-Signature=/i.test(req.url)) {
      throw invalid('Presigned (query-string) signatures are not accepted: sign with the Authorization header.');
    }
    throw new AuthError('UnrecognizedClientException', 'Missing Authentication Token: the request must be signed with Signature Version 4 (an access key from the admin credentials file or stevedore iam create-access-key).');
  }
  const auth = parseAuthorization(authorization);
  const secret = opts.secretFor(auth.accessKeyId);
  if (secret === undefined) throw new AuthError('UnrecognizedClientException', 'The security token included in the request is invalid.', auth.accessKeyId);
  const id = auth.accessKeyId;

  const signedAtMs = parseAmzDate(header(req, 'x-amz-date'), id);
  if (auth.shortDate !== basic(signedAtMs).slice(0, 8)) {
    throw invalid(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.shortDate}' != '${basic(signedAtMs).slice(0, 8)}'.`, id);
  }
  if (auth.region !== opts.region) throw invalid(`Credential should be scoped to a valid region, not '${auth.region}'.`, id);
  if (!opts.services.includes(auth.service)) throw invalid(`Credential should be scoped to correct service: '${opts.services[0]}'.`, id);
  if (auth.terminator !== 'aws4_request') throw invalid(`Credential should be scoped with a valid terminator: 'aws4_request', not '${auth.terminator}'.`, id);
  // The target names the operation of a JSON request, so it must be signed; a
  // Query request names it in its (signed) body or query string instead, and
  // a REST request in its method and path (both always in the signature).
  const jsonAtRoot = req.method === 'POST' && !isFormBody(req) && splitUrl(req.url).path === '/';
  const target = header(req, 'x-amz-target') !== undefined || jsonAtRoot ? ['x-amz-target'] : [];
  for (const required of ['host', 'x-amz-date', ...target]) {
    if (!auth.signedHeaders.includes(required)) throw invalid(`'${required}' must be a signed header.`, id);
  }
  checkSkew(signedAtMs, opts.nowMs, opts.maxSkewMs ?? MAX_SKEW_MS, id);

  // The payload hash is always computed here: a client-supplied
  // x-amz-content-sha256 is only a claim, and UNSIGNED-PAYLOAD is refused.
  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  const claimed = header(req, 'x-amz-content-sha256');
  if (claimed !== undefined && claimed !== bodyHash) {
    throw invalid("The provided 'x-amz-content-sha256' header does not match what was computed.", id);
  }

  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of auth.signedHeaders) {
    const v = header(req, name);
    if (v === undefined) throw invalid(MISMATCH_MESSAGE, id);
    headers[name] = v;
  }
  const { path, query } = splitUrl(req.url);
  const signer = new SignatureV4({
    credentials: { accessKeyId: id, secretAccessKey: secret },
    region: auth.region,
    service: auth.service,
    sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    { method: req.method, protocol: 'http:', hostname: headers['host'] ?? '', path, query, headers, body: req.body },
    { signingDate: new Date(signedAtMs), signingRegion: auth.region, signingService: auth.service, signableHeaders: new Set(auth.signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})$/.exec(String(signed.headers['authorization'] ?? ''))?.[1];
  if (!expected || !timingSafeEqual(Buffer.from(expected, 'latin1'), Buffer.from(auth.signature, 'latin1'))) throw invalid(MISMATCH_MESSAGE, id);
  return { accessKeyId: id, service: auth.service, signature: auth.signature, signedAtMs };
}
