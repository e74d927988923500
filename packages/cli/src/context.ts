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
}

export type OutputFormat = 'table' | 'json';

export interface GlobalOptions {
  endpoint: string;
  output: OutputFormat;
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

export function resolveGlobals(opts: Record<string, unknown>, env: Io['env']): GlobalOptions {
  const output = (opts.output as string | undefined) ?? env.STEVEDORE_OUTPUT ?? 'table';
  if (output !== 'table' && output !== 'json') throw new CliError(`--output must be table or json, got ${output}`, EXIT_USAGE);
  return {
    endpoint: (opts.endpoint as string | undefined) ?? env.STEVEDORE_ENDPOINT ?? DEFAULT_ENDPOINT,
    output,
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
