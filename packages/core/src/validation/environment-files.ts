/**
 * ECS `environmentFiles` on Stevedore (docs/design/fargate.md): there is no
 * S3, so the file's content lives in the secrets store and `value` is the
 * secret's ARN (`type` stays ECS's `s3`). The control plane resolves it like
 * a `secrets` entry (launch authorization, delivery beside the assignment,
 * never journaled); the agent gives the variables the lowest precedence.
 */

export const SECRETS_MANAGER_ARN = /^arn:aws[a-z-]*:secretsmanager:[^:]*:[^:]*:secret:.+/;

export function isSecretsStoreEnvironmentFile(value: string): boolean {
  return SECRETS_MANAGER_ARN.test(value);
}

/**
 * The `.env` format ECS reads: one VARIABLE=VALUE per line, lines starting
 * with `#` and blank lines ignored, no quoting or expansion (the value is
 * everything after the first `=`). Lines without `=` are skipped, as Docker
 * does for names without a value it cannot look up.
 */
export function parseEnvironmentFile(text: string): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    out.push({ name: line.slice(0, eq).trim(), value: line.slice(eq + 1) });
  }
  return out;
}
