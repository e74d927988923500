import {
  ECS_DESIRED_COUNT,
  ECS_NAMESPACE,
  isStevedoreError,
  parseEcsResourceId,
  StevedoreError,
  toEcsTimestamp,
  type ScalableTarget,
} from '@stevedore/core';
import type { Action, ApiContext } from '../context';
import { Params } from '../params';

/**
 * Request reading shared by the Application Auto Scaling operations: its
 * members are PascalCase and its errors are ValidationException and
 * ObjectNotFoundException with its own wording.
 */
export const SERVICE_NAMESPACES = ['ecs', 'elasticmapreduce', 'ec2', 'appstream', 'dynamodb', 'rds', 'sagemaker', 'custom-resource', 'comprehend', 'lambda', 'cassandra', 'kafka', 'elasticache', 'neptune', 'workspaces'];

export const validation = (message: string, field?: string) => new StevedoreError('ValidationException', message, field === undefined ? {} : { field });

/** The shared readers throw ECS's InvalidParameterException; this API calls it ValidationException. */
export function aasAction(fn: Action): Action {
  return (ctx, body) => {
    try {
      const r = fn(ctx, body);
      return r;
    } catch (e) {
      if (isStevedoreError(e) && e.code === 'InvalidParameterException') throw validation(e.message, e.field);
      throw e;
    }
  };
}

/** AWS's enum wording: `1 validation error detected: Value 'x' at 'serviceNamespace' failed to satisfy constraint: ...`. */
export function enumError(member: string, value: string, values: readonly string[]) {
  const camel = member[0]!.toLowerCase() + member.slice(1);
  return validation(`1 validation error detected: Value '${value}' at '${camel}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(', ')}]`, member);
}

export function readNamespace(p: Params): string {
  const ns = p.requiredString('ServiceNamespace');
  if (!SERVICE_NAMESPACES.includes(ns)) throw enumError('ServiceNamespace', ns, SERVICE_NAMESPACES);
  if (ns !== ECS_NAMESPACE) throw validation(`Unsupported service namespace: ${ns}. Stevedore scales ECS services only (ServiceNamespace ecs).`, 'ServiceNamespace');
  return ns;
}

export function readDimension(p: Params, required = true): string | undefined {
  const d = required ? p.requiredString('ScalableDimension') : p.string('ScalableDimension');
  if (d !== undefined && d !== ECS_DESIRED_COUNT) throw validation(`Unsupported scalable dimension: ${d} for service namespace: ecs. Use ${ECS_DESIRED_COUNT}.`, 'ScalableDimension');
  return d;
}

export function checkResourceId(id: string, member = 'ResourceId'): { cluster: string; service: string } {
  const parsed = id.length <= 1600 ? parseEcsResourceId(id) : undefined;
  if (!parsed) throw validation(`Unsupported resource ID format: ${id}. An ECS service's resource ID is service/CLUSTER/SERVICE.`, member);
  return parsed;
}

/** ServiceNamespace, ResourceId and ScalableDimension, all required (most operations). */
export function readTargetKey(p: Params): { resourceId: string; cluster: string; service: string } {
  readNamespace(p);
  const resourceId = p.requiredString('ResourceId');
  const parsed = checkResourceId(resourceId);
  readDimension(p);
  return { resourceId, ...parsed };
}

export const noTarget = (resourceId: string) =>
  new StevedoreError('ObjectNotFoundException', `No scalable target registered for service namespace: ecs, resource ID: ${resourceId}, scalable dimension: ${ECS_DESIRED_COUNT}`);

export function requireTarget(ctx: ApiContext, resourceId: string): ScalableTarget {
  const t = ctx.store.autoscaling.getTarget(resourceId);
  if (!t) throw noTarget(resourceId);
  return t;
}

/** MaxResults (1-50, AWS's bound) and an opaque NextToken. */
export function readMaxResults(p: Params): number {
  return p.integer('MaxResults', { min: 1, max: 50 }) ?? 50;
}

/** AWS timestamps in JSON 1.1: epoch seconds. A request's may also be an ISO string (some clients send one). */
export function readTimestamp(p: Params, member: string): number | undefined {
  const v = p.body[member];
  if (v === undefined || v === null) return undefined;
  const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw validation(`${member} must be a timestamp.`, member);
  return ms;
}

export const seconds = toEcsTimestamp;

export const keyJson = (resourceId: string) => ({ ServiceNamespace: ECS_NAMESPACE, ResourceId: resourceId, ScalableDimension: ECS_DESIRED_COUNT });
