/**
 * The one place that speaks HTTP to the Stevedore API (AWS JSON 1.1 protocol).
 * Every request body is serialised to bytes before it is sent so that a
 * request signer (SigV4, a later issue) can hash exactly what goes on the wire.
 */
import * as http from 'node:http';
import * as https from 'node:https';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';
export const STEVEDORE_TARGET_PREFIX = 'Stevedore_20261125';
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8080';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

export interface SignableRequest {
  method: 'POST' | 'GET' | 'PUT' | 'DELETE';
  /** The SigV4 service name, when the request names no X-Amz-Target (REST-JSON: `scheduler`). */
  service?: string;
  url: URL;
  /** Lower-case header names; a signer adds its own (authorization, x-amz-date...). */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Hook for authentication. The SigV4 signer will resolve an access key from
 * the environment or AWS_SHARED_CREDENTIALS_FILE and add its headers here.
 */
export interface RequestSigner {
  sign(request: SignableRequest): void | Promise<void>;
}

export const unsignedRequests: RequestSigner = { sign: () => undefined };

/** An error reply from the API: `{"__type": ..., "message": ...}`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly type: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The endpoint could not be reached or the reply was not the protocol. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}

export interface ApiClientOptions {
  endpoint: string;
  /** Endpoint per target prefix, for the services whose endpoint differs (AWS_ENDPOINT_URL_<SERVICE>). */
  serviceEndpoints?: Record<string, string>;
  signer?: RequestSigner;
  /** Per-call deadline for ordinary calls; streams have none. */
  timeoutMs?: number;
  signal?: AbortSignal;
  userAgent?: string;
  /**
   * PEM bundle of the CAs to trust for an https:// endpoint instead of the
   * system's (the control plane writes its own to <data-dir>/api-ca.pem).
   * Read on first use, so commands that never call the API need no file.
   */
  caBundle?: () => Promise<string>;
}

export class ApiClient {
  readonly endpoint: URL;
  private readonly serviceEndpoints = new Map<string, URL>();
  private readonly signer: RequestSigner;
  private readonly timeoutMs: number;
  private readonly signal: AbortSignal | undefined;
  private readonly userAgent: string;
  private readonly caBundle: (() => Promise<string>) | undefined;
  private agent: Promise<https.Agent> | undefined;

  constructor(opts: ApiClientOptions) {
    this.endpoint = parseEndpoint(opts.endpoint);
    for (const [prefix, url] of Object.entries(opts.serviceEndpoints ?? {})) this.serviceEndpoints.set(prefix, parseEndpoint(url));
    this.signer = opts.signer ?? unsignedRequests;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.signal = opts.signal;
    this.userAgent = opts.userAgent ?? 'stevedore-cli';
    this.caBundle = opts.caBundle;
  }

  /** An agent trusting only the CA bundle (when one is given), shared by every call of this client. */
  private httpsAgent(): Promise<https.Agent> | undefined {
    const load = this.caBundle;
    if (!load) return undefined;
    this.agent ??= load().then(
      (ca) => new https.Agent({ ca, keepAlive: false }),
      (err: Error) => {
        throw new TransportError(`cannot read the CA bundle: ${err.message}`);
      },
    );
    return this.agent;
  }

  /** One request/response call; resolves with the parsed JSON body. */
  async call<T = Record<string, unknown>>(operation: string, body: object = {}, targetPrefix = ECS_TARGET_PREFIX): Promise<T> {
    const res = await this.send(operation, body, targetPrefix, this.timeoutMs);
    const text = await readAll(res);
    if ((res.statusCode ?? 0) >= 300) throw errorFrom(res, text);
    if (text.trim() === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new TransportError(`${operation}: the server sent a reply that is not JSON (HTTP ${res.statusCode})`);
    }
  }

  /**
   * A REST-JSON call (EventBridge Scheduler): the operation is the method and
   * path, `query` goes in the query string, `body` (if any) is the JSON body;
   * signed for `service`, sent to the endpoint of `endpointPrefix`
   * (AWS_ENDPOINT_URL_<SERVICE>).
   */
  async rest<T = Record<string, unknown>>(method: SignableRequest['method'], path: string, opts: { service: string; endpointPrefix: string; query?: Record<string, string | undefined>; body?: object }): Promise<T> {
    const base = this.serviceEndpoints.get(opts.endpointPrefix) ?? this.endpoint;
    const url = new URL(path, base);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const payload = Buffer.from(opts.body ? JSON.stringify(opts.body) : '', 'utf8');
    const request: SignableRequest = {
      method,
      service: opts.service,
      url,
      headers: { 'content-type': 'application/json', 'content-length': String(payload.length), 'user-agent': this.userAgent, accept: 'application/json' },
      body: payload,
    };
    const res = await this.transmit(request, `${method} ${url.pathname}`, this.timeoutMs);
    const text = await readAll(res);
    if ((res.statusCode ?? 0) >= 300) throw errorFrom(res, text);
    if (text.trim() === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new TransportError(`${method} ${url.pathname}: the server sent a reply that is not JSON (HTTP ${res.statusCode})`);
    }
  }

  /**
   * A streamed call (GetTaskLogs): resolves with the open response once the
   * status says success, so the caller can consume chunks as they arrive.
   */
  async stream(operation: string, body: object, targetPrefix = STEVEDORE_TARGET_PREFIX): Promise<http.IncomingMessage> {
    const res = await this.send(operation, body, targetPrefix, 0);
    if ((res.statusCode ?? 0) >= 300) throw errorFrom(res, await readAll(res));
    return res;
  }

  private async send(operation: string, body: object, targetPrefix: string, timeoutMs: number): Promise<http.IncomingMessage> {
    const payload = Buffer.from(JSON.stringify(body), 'utf8');
    const request: SignableRequest = {
      method: 'POST',
      url: new URL('/', this.serviceEndpoints.get(targetPrefix) ?? this.endpoint),
      headers: {
        'content-type': CONTENT_TYPE,
        'x-amz-target': `${targetPrefix}.${operation}`,
        'content-length': String(payload.length),
        'user-agent': this.userAgent,
        accept: 'application/json',
      },
      body: payload,
    };
    return this.transmit(request, operation, timeoutMs);
  }

  private async transmit(request: SignableRequest, operation: string, timeoutMs: number): Promise<http.IncomingMessage> {
    const payload = request.body;
    await this.signer.sign(request);
    const secure = request.url.protocol === 'https:';
    const agent = secure ? await this.httpsAgent() : undefined;
    const lib = secure ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(request.url, { method: request.method, headers: request.headers, signal: this.signal, ...(agent ? { agent } : {}) }, resolve);
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => req.destroy(new TransportError(`${operation}: no reply from ${request.url.origin} within ${timeoutMs / 1000}s`)));
      }
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.name === 'AbortError' || err instanceof TransportError) return reject(err);
        const code = err.code ? `${err.code}` : err.message;
        if (secure && /CERT|SELF_SIGNED|ALTNAME|SSL|TLS/i.test(code)) {
          const hint = this.caBundle ? 'check that the CA bundle is the control plane\'s <data-dir>/api-ca.pem and that the endpoint names an address in its certificate' : 'pass the control plane\'s CA bundle with --ca-bundle FILE or AWS_CA_BUNDLE (<data-dir>/api-ca.pem)';
          reject(new TransportError(`cannot verify the Stevedore API's certificate at ${request.url.origin}: ${err.message}; ${hint}`));
          return;
        }
        reject(new TransportError(`cannot reach the Stevedore API at ${request.url.origin}: ${code}`));
      });
      req.end(payload);
    });
  }
}

function parseEndpoint(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TransportError(`invalid endpoint URL: ${text}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TransportError(`endpoint must be http:// or https://, got ${text}`);
  return url;
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** AWS JSON 1.1 error parsing, lenient the way the SDKs are. */
export function parseErrorBody(status: number, text: string, headerType?: string): ApiError {
  let type = headerType;
  let message: string | undefined;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    if (typeof parsed.__type === 'string') type = parsed.__type;
    const m = parsed.message ?? parsed.Message;
    if (typeof m === 'string') message = m;
  } catch {
    message = text.trim().slice(0, 500) || undefined;
  }
  // SDKs strip a namespace ("com.amazonaws.ecs#ClientException") and a ":..." suffix.
  type = (type ?? (status >= 500 ? 'ServerException' : 'ClientException')).split('#').pop()!.split(':')[0]!;
  return new ApiError(type, message ?? `HTTP ${status}`, status);
}

function errorFrom(res: http.IncomingMessage, text: string): ApiError {
  const header = res.headers['x-amzn-errortype'];
  return parseErrorBody(res.statusCode ?? 0, text, typeof header === 'string' ? header : undefined);
}
