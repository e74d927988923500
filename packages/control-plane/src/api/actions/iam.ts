import { ClientException, InvalidParameterException, StevedoreError } from '@stevedore/core';
import type { ApiContext } from '../context';
import { decodeToken, isString, page } from '../paging';
import { Params } from '../params';
import { BUILT_IN_ROLES, parsePolicyDocument, type BuiltInRole } from '../auth/policy';
import { ACCESS_KEY_ID_PATTERN, createAccessKey as mintAccessKey } from '../auth/access-keys';
import type { StoredAccessKey, StoredRole } from '../../store/iam-repo';
import { SERVICE_LINKED_ROLES, type ServiceLinkedRole } from '../auth/service-linked-roles';

/**
 * Stevedore_20261125 access keys and roles: the IAM a Stevedore needs, named
 * as IAM names it. Secrets are returned once, by CreateAccessKey, and never
 * again by any operation.
 */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ROLE_NAME_TEXT = 'must be 1-64 characters of letters, numbers and +=,.@_-';

const seconds = (ms: number) => ms / 1000;

function keyJson(k: StoredAccessKey) {
  return { accessKeyId: k.accessKeyId, roleName: k.roleName, status: k.status, createDate: seconds(k.createdAt), ...(k.description !== undefined ? { description: k.description } : {}) };
}

function roleJson(ctx: ApiContext, r: StoredRole | BuiltInRole, createdAt?: number) {
  return {
    roleName: r.roleName,
    arn: `arn:aws:iam::${ctx.arn.account}:role/${r.roleName}`,
    builtIn: createdAt === undefined,
    ...(r.description !== undefined ? { description: r.description } : {}),
    policyDocument: r.policyDocument,
    ...(createdAt !== undefined ? { createDate: seconds(createdAt) } : {}),
  };
}

function serviceLinkedRoleJson(ctx: ApiContext, r: ServiceLinkedRole) {
  const boundary = ctx.store.iam.getBoundary(r.roleName);
  return { ...roleJson(ctx, r), arn: r.arn(ctx.arn.account), serviceLinked: true, servicePrincipal: r.servicePrincipal, ...(boundary !== undefined ? { permissionsBoundary: boundary } : {}) };
}

function serviceLinkedRoleOf(ctx: ApiContext, body: unknown): { p: Params; role: ServiceLinkedRole } {
  const p = Params.of(body);
  const roleName = p.requiredString('roleName', { pattern: ROLE_NAME, patternText: ROLE_NAME_TEXT });
  const role = SERVICE_LINKED_ROLES.get(roleName);
  if (role) return { p, role };
  if (roleExists(ctx, roleName)) throw new ClientException(`${roleName} is not a service-linked role: permissions boundaries narrow only what a Stevedore component may do under its service-linked role.`, 'roleName');
  throw new StevedoreError('ResourceNotFoundException', `The role with name ${roleName} cannot be found.`, { field: 'roleName' });
}

/**
 * PutRolePermissionsBoundary (IAM's name) on a service-linked role: its
 * component may then do only what both the built-in policy and this
 * boundary allow, so an operator can narrow AWSServiceRoleForECS (target
 * registration, task role issuance) without being able to widen it.
 */
export function putRolePermissionsBoundary(ctx: ApiContext, body: unknown) {
  const { p, role } = serviceLinkedRoleOf(ctx, body);
  if (!p.has('permissionsBoundary')) throw new InvalidParameterException('permissionsBoundary is required.', 'permissionsBoundary');
  const boundary = parsePolicyDocument(p.body['permissionsBoundary'], 'permissionsBoundary');
  return ctx.store.tx(() => {
    ctx.store.iam.putBoundary(role.roleName, boundary, ctx.clock.now());
    ctx.log.info({ role: role.roleName }, 'permissions boundary set');
    return { role: serviceLinkedRoleJson(ctx, role) };
  });
}

export function deleteRolePermissionsBoundary(ctx: ApiContext, body: unknown) {
  const { role } = serviceLinkedRoleOf(ctx, body);
  return ctx.store.tx(() => {
    if (!ctx.store.iam.deleteBoundary(role.roleName)) throw new StevedoreError('ResourceNotFoundException', `The role ${role.roleName} has no permissions boundary.`, { field: 'roleName' });
    ctx.log.info({ role: role.roleName }, 'permissions boundary removed');
    return { role: serviceLinkedRoleJson(ctx, role) };
  });
}

function roleExists(ctx: ApiContext, name: string): boolean {
  return BUILT_IN_ROLES.has(name) || SERVICE_LINKED_ROLES.has(name) || ctx.store.iam.getRole(name) !== undefined;
}

export function createAccessKey(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const roleName = p.requiredString('roleName', { pattern: ROLE_NAME, patternText: ROLE_NAME_TEXT });
  const description = p.string('description', { max: 255 });
  return ctx.store.tx(() => {
    if (!roleExists(ctx, roleName)) throw new StevedoreError('ResourceNotFoundException', `The role with name ${roleName} cannot be found.`, { field: 'roleName' });
    if (SERVICE_LINKED_ROLES.has(roleName)) throw new ClientException(`${roleName} is a service-linked role: only its Stevedore component acts under it, never an access key.`, 'roleName');
    const key = mintAccessKey(ctx.store, roleName, ctx.clock.now(), description);
    ctx.log.info({ accessKeyId: key.accessKeyId, role: roleName }, 'access key created');
    return { accessKey: { ...keyJson(key), secretAccessKey: key.secretAccessKey } };
  });
}

export function listAccessKeys(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const roleName = p.string('roleName', { pattern: ROLE_NAME, patternText: ROLE_NAME_TEXT });
  const limit = p.maxResults(100);
  const after = decodeToken(p.string('nextToken'), isString);
  const rows = ctx.store.iam.listAccessKeys({ ...(roleName !== undefined ? { roleName } : {}), ...(after !== undefined ? { afterId: after } : {}), limit: limit + 1 });
  const { items, nextToken } = page(rows, limit, (k) => k.accessKeyId);
  return { accessKeys: items.map(keyJson), ...(nextToken ? { nextToken } : {}) };
}

export function deleteAccessKey(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const id = p.requiredString('accessKeyId', { pattern: ACCESS_KEY_ID_PATTERN, patternText: 'must be an access key id (AKIA followed by 16 characters)' });
  return ctx.store.tx(() => {
    const key = ctx.store.iam.getAccessKey(id);
    if (!key) throw new StevedoreError('ResourceNotFoundException', `The Access Key with id ${id} cannot be found.`, { field: 'accessKeyId' });
    // No back door exists to mint a new admin key, so the last one is kept.
    if (key.roleName === 'admin' && ctx.store.iam.countAccessKeys('admin') <= 1) {
      throw new ClientException('Cannot delete the last access key with the admin role: create another admin key first.', 'accessKeyId');
    }
    ctx.store.iam.deleteAccessKey(id);
    ctx.log.info({ accessKeyId: id, role: key.roleName }, 'access key deleted');
    return { accessKey: keyJson(key) };
  });
}

export function createRole(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const roleName = p.requiredString('roleName', { pattern: ROLE_NAME, patternText: ROLE_NAME_TEXT });
  const description = p.string('description', { max: 1000 });
  if (!p.has('policyDocument')) throw new InvalidParameterException('policyDocument is required.', 'policyDocument');
  const policyDocument = parsePolicyDocument(p.body['policyDocument']);
  return ctx.store.tx(() => {
    if (roleExists(ctx, roleName)) throw new StevedoreError('ResourceInUseException', `Role with name ${roleName} already exists.`, { field: 'roleName' });
    const role: StoredRole = { roleName, policyDocument, createdAt: ctx.clock.now(), ...(description !== undefined ? { description } : {}) };
    ctx.store.iam.insertRole(role);
    ctx.log.info({ role: roleName }, 'role created');
    return { role: roleJson(ctx, role, role.createdAt) };
  });
}

export function listRoles(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const limit = p.maxResults(100);
  const after = decodeToken(p.string('nextToken'), isString);
  // Built-in roles come first, on the first page only; stored roles page by name.
  const builtIns = after === undefined ? [...[...BUILT_IN_ROLES.values()].map((r) => roleJson(ctx, r)), ...[...SERVICE_LINKED_ROLES.values()].map((r) => serviceLinkedRoleJson(ctx, r))] : [];
  const rows = ctx.store.iam.listRoles({ ...(after !== undefined ? { afterName: after } : {}), limit: limit + 1 });
  const { items, nextToken } = page(rows, limit, (r) => r.roleName);
  return { roles: [...builtIns, ...items.map((r) => roleJson(ctx, r, r.createdAt))], ...(nextToken ? { nextToken } : {}) };
}

export function deleteRole(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const roleName = p.requiredString('roleName', { pattern: ROLE_NAME, patternText: ROLE_NAME_TEXT });
  return ctx.store.tx(() => {
    if (BUILT_IN_ROLES.has(roleName) || SERVICE_LINKED_ROLES.has(roleName)) throw new ClientException(`The built-in role ${roleName} cannot be deleted.`, 'roleName');
    const role = ctx.store.iam.getRole(roleName);
    if (!role) throw new StevedoreError('ResourceNotFoundException', `The role with name ${roleName} cannot be found.`, { field: 'roleName' });
    const keys = ctx.store.iam.countAccessKeys(roleName);
    if (keys > 0) throw new StevedoreError('ResourceInUseException', `Cannot delete role ${roleName}: ${keys} access key(s) use it. Delete them first.`, { field: 'roleName' });
    ctx.store.iam.deleteRole(roleName);
    ctx.log.info({ role: roleName }, 'role deleted');
    return { role: roleJson(ctx, role, role.createdAt) };
  });
}
