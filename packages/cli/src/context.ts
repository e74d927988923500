/**
 * What every command receives: the resolved global options, an API client and
 * the process I/O. Commands never touch `process` directly, so the unit tests
 * run them in-process with captured output and a fake clock.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ApiClient, DEFAULT_ENDPOINT } from './api-client';

export interface Writer {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** Terminal width, when the writer is a terminal (help is wrapped to it). */
  columns?: number;
}

/** The process's terminal as an exec session needs it (main.ts gives the real one; tests a fake). */
export interface TerminalIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** stdin and stdout are both terminals: the session gets a TTY. */
  isTTY: boolean;
  setRawMode(raw: boolean): void;
  size(): { cols: number; rows: number };
  /** Calls fn on every window size change (SIGWINCH); returns the unsubscribe. */
  onResize(fn: () => void): () => void;
}

export interface Io {
  stdout: Writer;
  stderr: Writer;
  env: Record<string, string | undefined>;
  readStdin(): Promise<string>;
  readFile(path: string): Promise<string>;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Aborted on Ctrl-C: ends waits and streams. */
  signal?: AbortSignal;
  /** The process's own terminal and raw streams (`stevedore exec`); absent in most tests. */
  terminal?: TerminalIo;
}

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface GlobalOptions {
  /** Endpoint of ECS and Stevedore's own operations. */
  endpoint: string;
  /** Endpoints of the other AWS services the CLI calls, by target prefix, when they differ (AWS_ENDPOINT_URL_<SERVICE>). */
  serviceEndpoints: Record<string, string>;
  /** -o/--output: table for people; json or yaml for scripts. */
  format: OutputFormat;
  /**
   * True when the command prints the API's answer (json, yaml, --query or -q)
   * rather than its table: the one test commands make, then `printData`.
   */
  structured: boolean;
  /** --query: JMESPath applied to the JSON answer. */
  query?: string;
  /** -q/--quiet: identifiers only, one a line. */
  quiet: boolean;
  cluster: string;
  /** Profile of the shared-credentials file (--profile; else AWS_PROFILE, resolved by the signer). */
  profile?: string;
  /** Signing region (--region; else AWS_REGION, resolved by the signer). */
  region?: string;
  /** CA bundle file for an https:// endpoint (--ca-bundle; else AWS_CA_BUNDLE, as the AWS CLI reads it). */
  caBundle?: string;
}

export interface CommandContext extends GlobalOptions {
  client: ApiClient;
  io: Io;
}

/** A failure the CLI reports itself, with the exit code it should cause. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Exit code of a wait that ran out of time (as GNU timeout). */
export const EXIT_TIMEOUT = 124;
/** Exit code after Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;
/** Exit code for bad command-line usage. */
export const EXIT_USAGE = 2;
/**
 * Exit code when the API answered with an error (refused, not found, throttled...):
 * the AWS CLI's own code for a service error.
 */
export const EXIT_API_ERROR = 254;
/** Exit code when the API could not be reached or did not speak its protocol (connection, TLS, timeout). */
export const EXIT_TRANSPORT_ERROR = 255;

export function resolveGlobals(opts: Record<string, unknown>, env: Io['env']): GlobalOptions {
  const format = (opts.output as string | undefined) ?? env.STEVEDORE_OUTPUT ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) throw new CliError(`--output must be one of ${OUTPUT_FORMATS.join(', ')}, got ${format}`, EXIT_USAGE);
  const query = typeof opts.query === 'string' ? opts.query : undefined;
  const quiet = opts.quiet === true;
  const endpoints = resolveEndpoints(opts.endpoint as string | undefined, env);
  return {
    ...endpoints,
    format: format as OutputFormat,
    structured: format !== 'table' || query !== undefined || quiet,
    ...(query !== undefined ? { query } : {}),
    quiet,
    cluster: (opts.cluster as string | undefined) ?? env.STEVEDORE_CLUSTER ?? 'default',
    ...(typeof opts.profile === 'string' ? { profile: opts.profile } : {}),
    ...(typeof opts.region === 'string' ? { region: opts.region } : {}),
    ...(typeof opts.caBundle === 'string' ? { caBundle: opts.caBundle } : env.AWS_CA_BUNDLE ? { caBundle: env.AWS_CA_BUNDLE } : {}),
  };
}

export interface App {
  contextOf(cmd: Command): CommandContext;
  setExitCode(code: number): void;
}

/**
 * Adapts a command body to commander's action signature
 * `(positional..., options, command)` and records the exit code it returns.
 */
export function action<P extends unknown[], O>(
  app: App,
  body: (ctx: CommandContext, opts: O, ...positional: P) => Promise<number | void>,
) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const opts = args[args.length - 2] as O;
    const positional = args.slice(0, -2) as P;
    const code = await body(app.contextOf(cmd), opts, ...positional);
    app.setExitCode(code ?? 0);
  };
}

/** Option parser for integers in [min, max]; commander reports the failure as usage. */
export function parseIntOption(name: string, min: number, max?: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || (max !== undefined && n > max)) {
      throw new InvalidArgumentError(`${name} must be an integer ${max !== undefined ? `from ${min} to ${max}` : `>= ${min}`}.`);
    }
    return n;
  };
}

export function parseJsonOption(name: string) {
  return (value: string): unknown => {
    try {
      return JSON.parse(value) as unknown;
    } catch (e) {
      throw new InvalidArgumentError(`${name} is not valid JSON (${(e as Error).message}).`);
    }
  };
}

/**
 * The services the CLI calls, by the target prefix of their operations, with
 * the suffix of their AWS_ENDPOINT_URL_<SERVICE> variable (the SDKs' name: the
 * service id upper-cased, spaces as underscores).
 */
const SERVICE_ENDPOINT_VARIABLES: Record<string, string> = {
  AmazonEC2ContainerServiceV20141113: 'ECS',
  Stevedore_20261125: 'ECS',
  AnyScaleFrontendService: 'APPLICATION_AUTO_SCALING',
  GraniteServiceVersion20100801: 'CLOUDWATCH',
  secretsmanager: 'SECRETS_MANAGER',
  Logs_20140328: 'CLOUDWATCH_LOGS',
  ElasticLoadBalancing_v10: 'ELASTIC_LOAD_BALANCING_V2',
  CertificateManager: 'ACM',
  scheduler: 'SCHEDULER',
};

/**
 * Endpoint precedence, first set wins: --endpoint, STEVEDORE_ENDPOINT (one
 * endpoint for everything), AWS_ENDPOINT_URL_<SERVICE> (per service, as the
 * AWS SDKs and CLI read it), AWS_ENDPOINT_URL (all services), the default.
 * So one environment drives the AWS CLI, the SDKs, Terraform and stevedore.
 */
export function resolveEndpoints(flag: string | undefined, env: Io['env']): { endpoint: string; serviceEndpoints: Record<string, string> } {
  const single = flag ?? env.STEVEDORE_ENDPOINT;
  if (single !== undefined && single !== '') return { endpoint: single, serviceEndpoints: {} };
  const all = env.AWS_ENDPOINT_URL || DEFAULT_ENDPOINT;
  const serviceEndpoints: Record<string, string> = {};
  for (const [prefix, variable] of Object.entries(SERVICE_ENDPOINT_VARIABLES)) {
    const specific = env[`AWS_ENDPOINT_URL_${variable}`];
    if (specific) serviceEndpoints[prefix] = specific;
  }
  return { endpoint: serviceEndpoints.AmazonEC2ContainerServiceV20141113 ?? all, serviceEndpoints: { ...Object.fromEntries(Object.keys(SERVICE_ENDPOINT_VARIABLES).map((p) => [p, serviceEndpoints[p] ?? all])) } };
}
