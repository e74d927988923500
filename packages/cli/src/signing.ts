/**
 * SigV4 request signing for the CLI, with the signer the AWS SDKs use. The
 * access key is found the way the AWS CLI finds it: `--profile` names a
 * profile of the shared-credentials file; otherwise AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN) win; otherwise the profile
 * AWS_PROFILE (default "default") of STEVEDORE_CREDENTIALS_FILE,
 * AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials. The region comes from
 * `--region`, AWS_REGION, AWS_DEFAULT_REGION, else us-east-1, and must be the
 * control plane's. Credentials are resolved at the first request, so
 * `--help` works without any.
 */
import { randomUUID } from 'node:crypto';
import { readFile as readFileFromDisk } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import type { RequestSigner, SignableRequest } from './api-client';
import { CliError } from './context';

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigningOptions {
  profile?: string;
  region?: string;
}

type Env = Record<string, string | undefined>;
type ReadFile = (file: string) => Promise<string>;

export const DEFAULT_REGION = 'us-east-1';

export function regionOf(opts: SigningOptions, env: Env): string {
  return opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? DEFAULT_REGION;
}

export function credentialsFileOf(env: Env): string {
  return env.STEVEDORE_CREDENTIALS_FILE ?? env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(env.HOME ?? os.homedir(), '.aws', 'credentials');
}

/** The key/value pairs of one `[profile]` section of an AWS shared-credentials (INI) file. */
export function parseProfile(text: string, profile: string): Record<string, string> | undefined {
  let section: string | undefined;
  let found: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      section = header[1];
      if (section === profile) found ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (section === profile && found && eq > 0) found[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return found;
}

const NO_CREDENTIALS_HELP =
  'point AWS_SHARED_CREDENTIALS_FILE (or STEVEDORE_CREDENTIALS_FILE) at the admin-credentials file the control plane wrote on first start, ' +
  'or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; make more keys with: stevedore iam create-access-key --role ROLE';

export async function resolveCredentials(opts: SigningOptions, env: Env, readFile: ReadFile): Promise<AccessKey> {
  if (opts.profile === undefined && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  }
  const profile = opts.profile ?? env.AWS_PROFILE ?? 'default';
  const file = credentialsFileOf(env);
  let text: string;
  try {
    text = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`no credentials: cannot read ${file} (${code ?? (e as Error).message}); ${NO_CREDENTIALS_HELP}`);
  }
  const p = parseProfile(text, profile);
  if (!p) throw new CliError(`no credentials: ${file} has no profile [${profile}]; ${NO_CREDENTIALS_HELP}`);
  const accessKeyId = p['aws_access_key_id'];
  const secretAccessKey = p['aws_secret_access_key'];
  if (!accessKeyId || !secretAccessKey) throw new CliError(`no credentials: profile [${profile}] of ${file} lacks aws_access_key_id or aws_secret_access_key`);
  return { accessKeyId, secretAccessKey, ...(p['aws_session_token'] ? { sessionToken: p['aws_session_token'] } : {}) };
}

/** A signer for service "ecs" that resolves its access key once, at the first request. */
export function requestSignerFrom(env: Env, opts: SigningOptions = {}, readFile?: ReadFile): RequestSigner {
  let credentials: ReturnType<typeof resolveCredentials> | undefined;
  const region = regionOf(opts, env);
  const read = readFile ?? ((f: string) => readFileFromDisk(f, 'utf8'));
  return {
    async sign(request: SignableRequest): Promise<void> {
      credentials ??= resolveCredentials(opts, env, read);
      // Secrets Manager and Application Auto Scaling operations are signed for their own service, as the AWS CLI does.
      const target = request.headers['x-amz-target'] ?? '';
      const service = request.service ?? (target.startsWith('secretsmanager.') ? 'secretsmanager' : target.startsWith('AnyScaleFrontendService.') ? 'application-autoscaling' : target.startsWith('GraniteServiceVersion20100801.') ? 'monitoring' : 'ecs');
      const signer = new SignatureV4({ credentials: await credentials, region, service, sha256: Hash.bind(null, 'sha256') });
      const url = request.url;
      // Unique per call as in the SDKs: the API refuses a signature it has seen (replay), and polls repeat bodies.
      const headers = { ...request.headers, host: url.host, 'amz-sdk-invocation-id': randomUUID() };
      const signed = await signer.sign({
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        body: request.body,
      });
      for (const [k, v] of Object.entries(signed.headers)) request.headers[k.toLowerCase()] = String(v);
    },
  };
}
