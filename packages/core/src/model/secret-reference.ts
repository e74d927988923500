/**
 * What a task definition's `valueFrom` (container `secrets`,
 * `logConfiguration.secretOptions`) or `credentialsParameter` names. One
 * parser, shared by the control plane's secret delivery and its launch
 * authorization, so the secret a caller is checked against is the secret the
 * task receives.
 */

/** A Secrets Manager secret: name or ARN (`id`) plus ECS's optional `:json-key:version-stage:version-id`. */
export interface SecretReference {
  kind: 'secretsmanager';
  id: string;
  jsonKey?: string;
  stage?: string;
  versionId?: string;
}

/** An SSM Parameter Store parameter, referenced by ARN (`arn:aws:ssm:<region>:<account>:parameter/<name>`). */
export interface ParameterReference {
  kind: 'ssm';
  /** Without a leading slash, as the ARN's resource part has it. */
  name: string;
}

const SECRET_ARN = /^(arn:aws[a-z-]*:secretsmanager:[^:]*:[^:]*:secret:[^:]+)(?::(.*))?$/;
const PARAMETER_ARN = /^arn:aws[a-z-]*:ssm:[^:]*:[^:]*:parameter\/(.+)$/;

/**
 * ECS's valueFrom forms. A Secrets Manager ARN, or a name, may carry
 * `:json-key:version-stage:version-id` (empty parts allowed); an SSM
 * parameter is named by its ARN. Anything else that is not an ARN is a
 * secret name, as the secrets store resolves it.
 */
export function parseValueFrom(valueFrom: string): SecretReference | ParameterReference | { error: string } {
  const param = PARAMETER_ARN.exec(valueFrom);
  if (param) return { kind: 'ssm', name: param[1]! };
  if (/^arn:aws[a-z-]*:ssm:/.test(valueFrom)) return { error: `valueFrom ${JSON.stringify(valueFrom)} is not a parameter ARN` };
  const arn = SECRET_ARN.exec(valueFrom);
  const [id, rest] = arn ? [arn[1]!, arn[2]] : [valueFrom.split(':')[0]!, valueFrom.includes(':') ? valueFrom.slice(valueFrom.indexOf(':') + 1) : undefined];
  if (!id) return { error: `valueFrom ${JSON.stringify(valueFrom)} names no secret` };
  const [jsonKey, stage, versionId] = (rest ?? '').split(':');
  return { kind: 'secretsmanager', id, ...(jsonKey ? { jsonKey } : {}), ...(stage ? { stage } : {}), ...(versionId ? { versionId } : {}) };
}
