import { SERVICES, type ServiceName } from './services';
import { signRequest, type Credentials } from './signing';

/** An error the API answered with: its AWS error code (`__type`), message and HTTP status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }

  /** The credentials are wrong, expired or revoked: the console signs out. */
  get isAuthFailure(): boolean {
    return AUTH_FAILURES.has(this.code);
  }
}

const AUTH_FAILURES = new Set(['UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException', 'IncompleteSignatureException', 'MissingAuthenticationTokenException', 'InvalidClientTokenId', 'SignatureDoesNotMatch']);

export interface Transport {
  fetch(
    url: string,
    init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal },
  ): Promise<{ status: number; text(): Promise<string>; body?: ReadableStream<Uint8Array> | null; headers?: { get(name: string): string | null } }>;
  /** location.host and location.protocol of the page: the API is served at the same origin. */
  host: string;
  protocol: 'http:' | 'https:';
  now(): Date;
  /** A unique id per request: two identical calls in one second must not make the same signature (the API refuses replays). */
  requestId(): string;
}

/** `ns#Code` or `Code:extra` as some services send `__type`: the bare code. */
export function errorCodeOf(type: unknown, status: number): string {
  if (typeof type !== 'string' || type.trim() === '') return status >= 500 ? 'ServerException' : 'UnknownError';
  return type.slice(type.lastIndexOf('#') + 1).split(':')[0]!.trim();
}

/**
 * The error of an answer, in any of the AWS JSON protocols: the code from
 * the `X-Amzn-ErrorType` header (REST-JSON services such as EventBridge
 * Scheduler put it only there; anything after ':' is not the code), else
 * the body's `__type` (awsJson 1.0/1.1); the message from the body's
 * `message` or `Message`.
 */
export function apiErrorOf(status: number, errorTypeHeader: string | null | undefined, body: unknown): ApiError {
  const e = (body && typeof body === 'object' ? body : {}) as { __type?: unknown; message?: unknown; Message?: unknown };
  const code = errorCodeOf(errorTypeHeader || e.__type, status);
  const message = typeof e.message === 'string' ? e.message : typeof e.Message === 'string' ? e.Message : `HTTP ${status}`;
  return new ApiError(code, message, status);
}

async function send(t: Transport, headers: Record<string, string>, body: string, method = 'POST', url = '/'): Promise<unknown> {
  const res = await t.fetch(url, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    if (res.status >= 300) throw apiErrorOf(res.status, res.headers?.get('x-amzn-errortype'), {});
    throw new ApiError('UnknownError', `The API answered HTTP ${res.status} with a body that is not JSON.`, res.status);
  }
  if (res.status >= 300) throw apiErrorOf(res.status, res.headers?.get('x-amzn-errortype'), parsed);
  return parsed;
}

/**
 * The console's only way to the control plane: the public API, each
 * request signed with the signed-in credentials (signing.ts).
 */
export class ApiClient {
  constructor(
    readonly credentials: Credentials,
    readonly region: string,
    private readonly transport: Transport,
  ) {}

  async call<T = Record<string, unknown>>(service: ServiceName, operation: string, input: object = {}): Promise<T> {
    const { headers, body } = await this.signed(service, operation, input);
    return (await send(this.transport, headers, body)) as T;
  }

  /**
   * A REST-JSON read (EventBridge Scheduler): GET on a path with query
   * parameters, signed for the service's signing name. Errors come as
   * `{Message}` with the code in `x-amzn-ErrorType` or `__type`.
   */
  async restGet<T = Record<string, unknown>>(signingName: string, path: string, query: Record<string, string> = {}): Promise<T> {
    const headers = await signRequest(
      { host: this.transport.host, protocol: this.transport.protocol, method: 'GET', path, query, headers: { 'amz-sdk-invocation-id': this.transport.requestId() }, body: '' },
      this.credentials,
      this.region,
      signingName,
      this.transport.now(),
    );
    return (await send(this.transport, headers, '', 'GET', `${path}${queryString(query)}`)) as T;
  }

  /**
   * A streamed call (Stevedore GetTaskLogs): NDJSON lines handed to onLine as
   * they arrive, until the stream ends or `signal` aborts it. An error line
   * (`__type`) ends it with an ApiError.
   */
  async stream(service: ServiceName, operation: string, input: object, onLine: (line: Record<string, unknown>) => void, signal?: AbortSignal): Promise<void> {
    const { headers, body } = await this.signed(service, operation, input);
    const res = await this.transport.fetch('/', { method: 'POST', headers, body, ...(signal ? { signal } : {}) });
    if (res.status >= 300 || !res.body) {
      await send({ ...this.transport, fetch: async () => res }, headers, body);
      return;
    }
    const lines = new NdjsonSplitter();
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const deliver = (text: string) => {
      for (const l of lines.push(text)) {
        if (typeof l['__type'] === 'string') throw new ApiError(errorCodeOf(l['__type'], 400), String(l['message'] ?? ''), 400);
        onLine(l);
      }
    };
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      deliver(decoder.decode(value, { stream: true }));
    }
    deliver(decoder.decode() + '\n');
  }

  private async signed(service: ServiceName, operation: string, input: object): Promise<{ headers: Record<string, string>; body: string }> {
    const spec = SERVICES[service];
    const body = JSON.stringify(input);
    const headers = await signRequest(
      {
        host: this.transport.host,
        protocol: this.transport.protocol,
        method: 'POST',
        path: '/',
        headers: { 'content-type': spec.contentType, 'x-amz-target': `${spec.targetPrefix}.${operation}`, 'amz-sdk-invocation-id': this.transport.requestId() },
        body,
      },
      this.credentials,
      this.region,
      spec.signingName,
      this.transport.now(),
    );
    return { headers, body };
  }
}

export interface RedeemedSession {
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: number };
  roleName: string;
  sourceAccessKeyId: string;
  region?: string;
}

/** The one unsigned call: a `stevedore console` sign-in token for a console session's temporary credentials. */
export async function redeemSigninToken(t: Transport, signinToken: string): Promise<RedeemedSession> {
  const spec = SERVICES.stevedore;
  const headers = { 'content-type': spec.contentType, 'x-amz-target': `${spec.targetPrefix}.RedeemConsoleSigninToken` };
  return (await send(t, headers, JSON.stringify({ signinToken }))) as RedeemedSession;
}

/** Splits a byte stream's text into NDJSON objects; a partial last line waits for the next chunk. */
export class NdjsonSplitter {
  private rest = '';

  push(text: string): Record<string, unknown>[] {
    const parts = (this.rest + text).split('\n');
    this.rest = parts.pop() ?? '';
    const out: Record<string, unknown>[] = [];
    for (const p of parts) {
      if (!p.trim()) continue;
      try {
        const v = JSON.parse(p) as unknown;
        if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
      } catch {
        // A line that is not JSON is not the protocol: skip it rather than end the stream.
      }
    }
    return out;
  }
}

/** `?a=b&c=d` with RFC 3986 escaping, as SigV4 canonicalizes it (empty when there is no parameter). */
export function queryString(query: Record<string, string>): string {
  const esc = (v: string) => encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const parts = Object.keys(query)
    .sort()
    .map((k) => `${esc(k)}=${esc(query[k]!)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}
