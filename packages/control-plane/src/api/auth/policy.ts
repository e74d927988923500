import { InvalidParameterException, StevedoreError } from '@stevedore/core';

/**
 * IAM-like identity policies, reduced to what Stevedore enforces: Allow/Deny
 * statements over actions (`ecs:RunTask`, `ecs:Describe*`, `stevedore:*`) and
 * resource ARNs with `*`/`?` wildcards. Evaluation follows IAM: an explicit
 * Deny wins, otherwise some Allow must match, otherwise the call is denied.
 * Keys Stevedore cannot honour (Condition, NotAction, Principal...) are
 * refused at write time rather than ignored: ignoring a Condition would grant
 * more than its author meant.
 */
// The document shapes and their evaluation are pure and shared with roles outside the API (the autoscaler's service-linked identity): they live in core.
export { evaluate, wildcardMatch, type Decision, type PolicyDocument, type PolicyStatement } from '@stevedore/core';
import { denialMessage, type Decision, type PolicyDocument, type PolicyStatement } from '@stevedore/core';

/**
 * Action namespaces the API serves now or will (design decision 1), plus
 * `iam` for `iam:PassRole`: no IAM operation is served, but starting a task
 * passes its roles, and that is authorized as in AWS; and `sts` for
 * `sts:AssumeRole`, what AWSServiceRoleForECS does to issue task
 * credentials (a boundary on it names that action).
 */
export const ACTION_NAMESPACES = ['ecs', 'stevedore', 'secretsmanager', 'ssm', 'application-autoscaling', 'iam', 'cloudwatch', 'elasticloadbalancing', 'logs', 'acm', 'elasticfilesystem', 'sts', 'scheduler'] as const;

const MAX_POLICY_CHARS = 10_240;
const MAX_STATEMENTS = 100;
const MAX_ITEMS = 100;
const ACTION_RE = new RegExp(`^(\\*|(${ACTION_NAMESPACES.join('|')}):[A-Za-z0-9*?]{1,128})$`);
const RESOURCE_RE = /^(\*|arn:[\x21-\x7e]{1,2044})$/;
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'Resource']);

function list(v: unknown, field: string, re: RegExp, what: string): string[] {
  const items = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_ITEMS) {
    throw new InvalidParameterException(`${field} must be a string or a list of 1-${MAX_ITEMS} strings.`, field);
  }
  return items.map((x, i) => {
    if (typeof x !== 'string' || !re.test(x)) throw new InvalidParameterException(`${field}[${i}] is not a valid ${what}: ${JSON.stringify(x)?.slice(0, 140)}.`, `${field}[${i}]`);
    return x;
  });
}

/**
 * Validates a policy document given as JSON text (as IAM takes it) or as an
 * object, and returns it normalised: Action and Resource always lists.
 */
export function parsePolicyDocument(raw: unknown, field = 'policyDocument'): PolicyDocument {
  let doc = raw;
  if (typeof raw === 'string') {
    if (raw.length > MAX_POLICY_CHARS) throw new InvalidParameterException(`${field} must be at most ${MAX_POLICY_CHARS} characters.`, field);
    try {
      doc = JSON.parse(raw) as unknown;
    } catch {
      throw new InvalidParameterException(`${field} is not valid JSON.`, field);
    }
  } else if (JSON.stringify(raw ?? null).length > MAX_POLICY_CHARS) {
    throw new InvalidParameterException(`${field} must be at most ${MAX_POLICY_CHARS} characters.`, field);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new InvalidParameterException(`${field} must be a JSON object.`, field);
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d)) {
    if (k !== 'Version' && k !== 'Statement' && k !== 'Id') throw new InvalidParameterException(`${field}.${k} is not supported by Stevedore.`, `${field}.${k}`);
  }
  const version = d['Version'] ?? '2012-10-17';
  if (version !== '2012-10-17' && version !== '2008-10-17') throw new InvalidParameterException(`${field}.Version must be 2012-10-17.`, `${field}.Version`);
  const rawStatements = Array.isArray(d['Statement']) ? d['Statement'] : d['Statement'] !== undefined ? [d['Statement']] : [];
  if (rawStatements.length === 0 || rawStatements.length > MAX_STATEMENTS) {
    throw new InvalidParameterException(`${field}.Statement must hold 1-${MAX_STATEMENTS} statements.`, `${field}.Statement`);
  }
  const statements = rawStatements.map((s, i): PolicyStatement => {
    const f = `${field}.Statement[${i}]`;
    if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new InvalidParameterException(`${f} must be an object.`, f);
    const st = s as Record<string, unknown>;
    for (const k of Object.keys(st)) {
      if (!STATEMENT_KEYS.has(k)) throw new InvalidParameterException(`${f}.${k} is not supported by Stevedore (supported: Sid, Effect, Action, Resource).`, `${f}.${k}`);
    }
    if (st['Effect'] !== 'Allow' && st['Effect'] !== 'Deny') throw new InvalidParameterException(`${f}.Effect must be Allow or Deny.`, `${f}.Effect`);
    if (st['Sid'] !== undefined && (typeof st['Sid'] !== 'string' || !/^[A-Za-z0-9]{0,128}$/.test(st['Sid']))) {
      throw new InvalidParameterException(`${f}.Sid must be letters and digits.`, `${f}.Sid`);
    }
    if (st['Resource'] === undefined) throw new InvalidParameterException(`${f}.Resource is required.`, `${f}.Resource`);
    return {
      ...(typeof st['Sid'] === 'string' ? { Sid: st['Sid'] } : {}),
      Effect: st['Effect'],
      Action: list(st['Action'], `${f}.Action`, ACTION_RE, `action (namespace:Action with * or ?, namespaces ${ACTION_NAMESPACES.join(', ')})`),
      Resource: list(st['Resource'], `${f}.Resource`, RESOURCE_RE, 'resource ("*" or an ARN with * or ?)'),
    };
  });
  return { Version: version as string, Statement: statements };
}

export interface BuiltInRole {
  roleName: string;
  description: string;
  policyDocument: PolicyDocument;
}

const doc = (...statements: Omit<PolicyStatement, 'Effect'>[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: statements.map((s) => ({ Effect: 'Allow', ...s })),
});

/**
 * Roles that exist in every Stevedore: they cannot be created, changed or
 * deleted. A Map, since role names come from requests: a role named
 * `constructor` or `toString` must not find Object.prototype's members.
 */
export const BUILT_IN_ROLES: ReadonlyMap<string, BuiltInRole> = new Map(Object.entries({
  admin: { roleName: 'admin', description: 'Every action on every resource.', policyDocument: doc({ Action: ['*'], Resource: ['*'] }) },
  'read-only': {
    roleName: 'read-only',
    description: 'Describe*, List* and Get* actions (including task logs and log store reads; secret metadata but not secret values) on every resource; no changes.',
    policyDocument: doc({
      // Secret metadata, never values: secretsmanager:GetSecretValue is not a read-only action.
      Action: ['ecs:Describe*', 'ecs:List*', 'ecs:Get*', 'stevedore:Describe*', 'stevedore:List*', 'stevedore:Get*', 'secretsmanager:Describe*', 'secretsmanager:List*', 'cloudwatch:Describe*', 'cloudwatch:List*', 'cloudwatch:Get*', 'elasticloadbalancing:Describe*', 'acm:Describe*', 'acm:List*', 'logs:Describe*', 'logs:Get*', 'logs:FilterLogEvents', 'application-autoscaling:Describe*'],
      Resource: ['*'],
    }),
  },
} satisfies Record<string, BuiltInRole>));

export const ADMIN_POLICY: PolicyDocument = BUILT_IN_ROLES.get('admin')!.policyDocument;

/**
 * The AccessDeniedException IAM sends, naming the caller, the action and
 * the resource: one wording for the request's own authorization and for
 * what a launch needs (secrets, roles).
 */
export function accessDenied(principalArn: string, action: string, resource: string, decision: Exclude<Decision, 'allow'>, field?: string): StevedoreError {
  return new StevedoreError('AccessDeniedException', denialMessage(principalArn, action, resource, decision), field === undefined ? {} : { field });
}

/**
 * The deployer template: run and stop tasks, update services, read state and
 * logs in the given clusters (optionally only the given services), and
 * register task definitions (which ECS scopes to no resource).
 */
export function deployerPolicy(clusters: string[], services?: string[]): PolicyDocument {
  const clusterArns = clusters.map((c) => `arn:aws:ecs:*:*:cluster/${c}`);
  const serviceArns = clusters.flatMap((c) => (services && services.length > 0 ? services.map((s) => `arn:aws:ecs:*:*:service/${c}/${s}`) : [`arn:aws:ecs:*:*:service/${c}/*`]));
  return doc(
    {
      Sid: 'Tasks',
      Action: ['ecs:RunTask', 'ecs:StartTask', 'ecs:StopTask', 'ecs:Describe*', 'ecs:List*', 'stevedore:GetTaskLogs'],
      Resource: clusterArns,
    },
    { Sid: 'Services', Action: ['ecs:UpdateService', 'ecs:DescribeServices'], Resource: serviceArns },
    {
      Sid: 'TaskDefinitions',
      Action: ['ecs:RegisterTaskDefinition', 'ecs:DescribeTaskDefinition', 'ecs:ListTaskDefinitions', 'ecs:ListTaskDefinitionFamilies', 'ecs:ListClusters'],
      Resource: ['*'],
    },
    // What ECS's managed execution role policy grants: awslogs tasks may write into existing groups (not create them).
    { Sid: 'TaskLogs', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: ['*'] },
  );
}
