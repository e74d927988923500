import { hostAccessOf, NO_HOST_ACCESS, parseEnvironmentFile, parseValueFrom, type ArnContext, type Cluster, type TaskAssignment, type TaskSecrets } from '@stevedore/core';
import { toWireAssignment, type WireAssignment, type WireAssignmentOptions } from '@stevedore/proto';
import type { Store } from '../store/store';
import { resolveEfsVolumes } from './efs-volumes';
import { executionRoleDenial, executionRoleOf, type ExecutionRole } from './execution-role';

export const SECRETS_ERROR_PREFIX = 'unable to pull secrets or registry auth';

/** Re-exported for the delivery tests; the parser lives in core, shared with launch authorization. */
export { parseValueFrom };

class ResolveError extends Error {}

/** Who reads: the task's execution role (checked per read), or nobody to check (no execution role: the launch check of the caller stands). */
interface Reader {
  role?: ExecutionRole;
  arn: ArnContext;
}

/** ECS's words for what failed to be read with the execution role, by what it was for. */
const RETRIEVAL = {
  secret: (id: string) => `execution resource retrieval failed: unable to retrieve secret from asm: failed to fetch secret ${id} from secrets manager`,
  registry: (id: string) => `execution resource retrieval failed: unable to get registry auth from asm: asm fetching secret from the service for ${id}`,
  ssm: () => 'execution resource retrieval failed: unable to retrieve secrets from ssm',
};

function resolve(store: Store, reader: Reader, valueFrom: string, where: string, purpose: 'secret' | 'registry' = 'secret'): string {
  const ref = parseValueFrom(valueFrom);
  if ('error' in ref) throw new ResolveError(`${where}: ${ref.error}`);
  const deny = (action: string, resource: string, words: string) => {
    const denial = reader.role && executionRoleDenial(reader.role, action, resource);
    if (denial) throw new ResolveError(`${words}: ${denial} (${where})`);
  };
  if (ref.kind === 'ssm') {
    deny('ssm:GetParameters', `arn:aws:ssm:${reader.arn.region}:${reader.arn.account}:parameter/${ref.name.replace(/^\//, '')}`, RETRIEVAL.ssm());
    throw new ResolveError(`${where}: SSM Parameter Store parameters are not supported; store the value as a secret (stevedore secrets put)`);
  }
  const s = store.secrets.find(ref.id);
  if (!s || s.deletionDate !== undefined) throw new ResolveError(`${where}: ResourceNotFoundException: secret ${JSON.stringify(ref.id)} does not exist in the secrets store`);
  // The stored ARN (with its suffix), as launch authorization and the API name it.
  deny('secretsmanager:GetSecretValue', s.arn, RETRIEVAL[purpose](s.arn));
  if ((ref.stage && ref.stage !== 'AWSCURRENT') || (ref.versionId && ref.versionId !== s.versionId)) {
    throw new ResolveError(`${where}: secret ${JSON.stringify(s.name)} has no version ${ref.versionId ?? ref.stage} (only AWSCURRENT is kept)`);
  }
  const value = store.secrets.value(s);
  if (!ref.jsonKey) return value;
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    throw new ResolveError(`${where}: secret ${JSON.stringify(s.name)} is not JSON, so it has no key ${JSON.stringify(ref.jsonKey)}`);
  }
  // Own keys only: a json-key of "constructor" or "__proto__" must not reach Object.prototype.
  const v = doc && typeof doc === 'object' && !Array.isArray(doc) && Object.hasOwn(doc, ref.jsonKey) ? (doc as Record<string, unknown>)[ref.jsonKey] : undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ResolveError(`${where}: secret ${JSON.stringify(s.name)} has no string key ${JSON.stringify(ref.jsonKey)}`);
}

/**
 * The secret values one task needs, for the agent that runs it, read as its
 * execution role (each read authorized against that role's policy now, so
 * the agent never receives what the role may not read). Messages name
 * secrets and fields, never values.
 */
export function resolveTaskSecrets(store: Store, arn: ArnContext, a: TaskAssignment): TaskSecrets | undefined {
  if (!a.containers.some((c) => (c.secrets?.length ?? 0) > 0 || c.repositoryCredentials || (c.environmentFiles?.length ?? 0) > 0)) return undefined;
  const out: TaskSecrets = { environment: [], registryAuth: [] };
  try {
    const reader: Reader = { arn };
    if (a.executionRoleArn !== undefined) {
      const role = executionRoleOf(store, arn, a.executionRoleArn, a.taskId);
      if ('error' in role) throw new ResolveError(`execution resource retrieval failed: ${role.error}`);
      reader.role = role;
    }
    for (const c of a.containers) {
      (c.secrets ?? []).forEach((s, i) => {
        out.environment.push({ container: c.name, name: s.name, value: resolve(store, reader, s.valueFrom, `container ${c.name} secrets[${i}] (${s.name})`) });
      });
      (c.environmentFiles ?? []).forEach((f, i) => {
        const vars = parseEnvironmentFile(resolve(store, reader, f.value, `container ${c.name} environmentFiles[${i}]`));
        (out.environmentFiles ??= []).push(...vars.map((v) => ({ container: c.name, name: v.name, value: v.value })));
      });
      const param = c.repositoryCredentials?.credentialsParameter;
      if (param) {
        const where = `container ${c.name} repositoryCredentials`;
        let creds: { username?: unknown; password?: unknown } = {};
        try {
          creds = JSON.parse(resolve(store, reader, param, where, 'registry')) as typeof creds;
        } catch (e) {
          if (e instanceof ResolveError) throw e;
        }
        if (typeof creds?.username !== 'string' || typeof creds.password !== 'string') {
          throw new ResolveError(`${where}: the secret must be JSON {"username": "...", "password": "..."}`);
        }
        out.registryAuth.push({ container: c.name, username: creds.username, password: creds.password });
      }
    }
  } catch (e) {
    if (!(e instanceof ResolveError)) throw e;
    return { environment: [], registryAuth: [], error: `${SECRETS_ERROR_PREFIX}: ${e.message}` };
  }
  return out;
}

/**
 * What the agent receives for one assignment: the spec with the cluster's
 * host-access policy (the agent's second check), and, while the task should
 * run, its resolved secrets in their own fields.
 */
export function agentAssignment(
  store: Store,
  arn: ArnContext,
  a: TaskAssignment,
  opts: WireAssignmentOptions = { typedSpec: true },
  cluster: Cluster | undefined = store.clusters.get(a.cluster),
): WireAssignment {
  // FARGATE tasks never get the host, whatever the cluster allows its EC2 tasks.
  const efsVolumes = a.desiredStatus === 'RUNNING' ? resolveEfsVolumes(store, a) : undefined;
  const spec = { ...a, hostAccess: a.launchType === 'FARGATE' ? NO_HOST_ACCESS : hostAccessOf(cluster?.settings ?? []), ...(efsVolumes ? { efsVolumes } : {}) };
  const secrets = a.desiredStatus === 'RUNNING' ? resolveTaskSecrets(store, arn, a) : undefined;
  return toWireAssignment(spec, opts, secrets);
}
