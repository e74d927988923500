import { randomBytes } from 'node:crypto';

/** Region and account used in ARNs; configurable on the control plane. */
export interface ArnContext {
  region: string;
  account: string;
}

export const defaultArnContext: ArnContext = { region: 'us-east-1', account: '000000000000' };

const prefix = (c: ArnContext) => `arn:aws:ecs:${c.region}:${c.account}`;

export const arns = {
  cluster: (c: ArnContext, name: string) => `${prefix(c)}:cluster/${name}`,
  taskDefinition: (c: ArnContext, family: string, revision: number) => `${prefix(c)}:task-definition/${family}:${revision}`,
  task: (c: ArnContext, cluster: string, id: string) => `${prefix(c)}:task/${cluster}/${id}`,
  containerInstance: (c: ArnContext, cluster: string, id: string) => `${prefix(c)}:container-instance/${cluster}/${id}`,
  container: (c: ArnContext, cluster: string, taskId: string, id: string) => `${prefix(c)}:container/${cluster}/${taskId}/${id}`,
  service: (c: ArnContext, cluster: string, name: string) => `${prefix(c)}:service/${cluster}/${name}`,
};

/** 32 hex characters, the id format of long task and container-instance ARNs. */
export function newId(): string {
  return randomBytes(16).toString('hex');
}

const ARN_RE = /^arn:aws[a-z-]*:ecs:[^:]*:[^:]*:([a-z-]+)\/(.+)$/;

export interface ParsedArn {
  resourceType: string;
  /** Path after `type/`, e.g. `cluster/id` or `family:revision`. */
  resource: string;
}

export function parseArn(value: string): ParsedArn | undefined {
  const m = ARN_RE.exec(value);
  if (!m) return undefined;
  return { resourceType: m[1]!, resource: m[2]! };
}

/** Accepts a cluster name or ARN, returns the name. */
export function clusterNameOf(value: string): string {
  const p = parseArn(value);
  if (p && p.resourceType === 'cluster') return p.resource;
  return value;
}

/** Accepts a task/instance id or long/legacy ARN, returns the id (last path segment). */
export function idOf(value: string): string {
  const p = parseArn(value);
  if (!p) return value;
  const parts = p.resource.split('/');
  return parts[parts.length - 1]!;
}
