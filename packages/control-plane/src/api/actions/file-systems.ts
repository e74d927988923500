import { randomBytes } from 'node:crypto';
import { ClientException, InvalidParameterException, StevedoreError } from '@stevedore/core';
import type { Action, ApiContext } from '../context';
import { decodeToken, isString, page } from '../paging';
import { Params } from '../params';
import type { StoredAccessPoint, StoredFileSystem } from '../../store/file-systems-repo';

/**
 * Stevedore_20261125 file systems: the registry behind
 * `efsVolumeConfiguration`. A file system is an NFS export the operator
 * runs (any NFS server), registered under an EFS-style id; access points
 * are EFS's (a root directory, and the POSIX user the operator's export
 * maps it to). The agent mounts them with Docker's local driver
 * (docs/design/task-roles.md, "Shared file systems").
 */
const TARGET = 'Stevedore_20261125.';
const FS_ID = /^fs-[0-9a-f]{17}$/;
const AP_ID = /^fsap-[0-9a-f]{17}$/;
/** A host name or IPv4 address: it goes into Docker's `o=addr=...`, so no commas, spaces or '='. */
const SERVER = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
/** An absolute export path without ',', ':', whitespace or '..' segments (it becomes `device=:<path>`). */
const EXPORT_PATH = /^\/(?:[A-Za-z0-9_.@+-]+\/?)*$/;
const NFS_VERSIONS = ['3', '4', '4.0', '4.1', '4.2'] as const;
/** Extra mount options: `name` or `name=value`, comma-separated, from NFS's own vocabulary. */
const MOUNT_OPTION = /^[a-z][a-z0-9_]{0,31}(=[A-Za-z0-9._:-]{1,64})?$/;
/** Options Stevedore sets itself, or that would change what is mounted. */
const RESERVED_OPTIONS = new Set(['addr', 'nfsvers', 'vers', 'port', 'xprtsec', 'clientaddr']);

const newId = (prefix: string) => `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
const seconds = (ms: number) => ms / 1000;

export const fileSystemArn = (ctx: Pick<ApiContext, 'arn'>, id: string) => `arn:aws:elasticfilesystem:${ctx.arn.region}:${ctx.arn.account}:file-system/${id}`;
const accessPointArn = (ctx: Pick<ApiContext, 'arn'>, id: string) => `arn:aws:elasticfilesystem:${ctx.arn.region}:${ctx.arn.account}:access-point/${id}`;

function tagsOf(p: Params): { key: string; value: string }[] {
  const raw = p.body['tags'];
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > 50) throw new InvalidParameterException('tags must be a list of at most 50 {key, value}.', 'tags');
  return raw.map((t, i) => {
    const k = (t as { key?: unknown })?.key;
    const v = (t as { value?: unknown })?.value;
    if (typeof k !== 'string' || k.length < 1 || k.length > 128 || typeof v !== 'string' || v.length > 256) throw new InvalidParameterException(`tags[${i}] must be {key (1-128 characters), value (0-256)}.`, `tags[${i}]`);
    return { key: k, value: v };
  });
}

export function mountOptionsOf(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const opts = raw.split(',');
  for (const o of opts) {
    if (!MOUNT_OPTION.test(o)) throw new InvalidParameterException(`mountOptions: ${JSON.stringify(o.slice(0, 80))} is not an NFS mount option (name or name=value).`, 'mountOptions');
    const name = o.split('=')[0]!;
    if (RESERVED_OPTIONS.has(name)) throw new InvalidParameterException(`mountOptions: ${name} is set by Stevedore (server, nfsVersion, transit encryption).`, 'mountOptions');
  }
  return opts.join(',');
}

function fsJson(ctx: ApiContext, f: StoredFileSystem) {
  return {
    fileSystemId: f.fileSystemId,
    fileSystemArn: fileSystemArn(ctx, f.fileSystemId),
    creationToken: f.creationToken,
    ...(f.name !== undefined ? { name: f.name } : {}),
    server: f.server,
    path: f.path,
    nfsVersion: f.nfsVersion,
    ...(f.mountOptions !== undefined ? { mountOptions: f.mountOptions } : {}),
    lifeCycleState: 'available',
    numberOfAccessPoints: ctx.store.fileSystems.countAccessPoints(f.fileSystemId),
    creationTime: seconds(f.createdAt),
    tags: f.tags,
  };
}

function apJson(ctx: ApiContext, a: StoredAccessPoint) {
  return {
    accessPointId: a.accessPointId,
    accessPointArn: accessPointArn(ctx, a.accessPointId),
    fileSystemId: a.fileSystemId,
    clientToken: a.clientToken,
    ...(a.name !== undefined ? { name: a.name } : {}),
    rootDirectory: { path: a.rootDirectory },
    ...(a.posixUid !== undefined ? { posixUser: { uid: a.posixUid, gid: a.posixGid ?? a.posixUid } } : {}),
    lifeCycleState: 'available',
    tags: a.tags,
  };
}

function notFound(what: 'FileSystemNotFound' | 'AccessPointNotFound', id: string, field: string): StevedoreError {
  return new StevedoreError('ResourceNotFoundException', `${what === 'FileSystemNotFound' ? 'File system' : 'Access point'} '${id}' does not exist.`, { field });
}

export function createFileSystem(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const creationToken = p.string('creationToken', { max: 64 }) ?? newId('token');
  const name = p.string('name', { max: 256 });
  const server = p.requiredString('server', { pattern: SERVER, patternText: 'must be a host name or IPv4 address' });
  const path = p.string('path', { max: 1024, pattern: EXPORT_PATH, patternText: "must be an absolute path of letters, digits and _.@+- (no ',', ':' or spaces)" }) ?? '/';
  if (path.split('/').includes('..')) throw new InvalidParameterException('path must not contain .. segments.', 'path');
  const nfsVersion = p.string('nfsVersion', { enum: NFS_VERSIONS }) ?? '4.1';
  const mountOptions = mountOptionsOf(p.string('mountOptions', { max: 512 }));
  const tags = tagsOf(p);
  return ctx.store.tx(() => {
    const existing = ctx.store.fileSystems.byCreationToken(creationToken);
    if (existing) {
      // EFS: the same token with the same request is idempotent; anything else is a conflict.
      if (existing.server === server && existing.path === path && existing.nfsVersion === nfsVersion) return fsJson(ctx, existing);
      throw new StevedoreError('ResourceInUseException', `File system with creation token '${creationToken}' already exists (${existing.fileSystemId}).`, { field: 'creationToken' });
    }
    const f: StoredFileSystem = { fileSystemId: newId('fs'), creationToken, server, path, nfsVersion, tags, createdAt: ctx.clock.now(), ...(name !== undefined ? { name } : {}), ...(mountOptions !== undefined ? { mountOptions } : {}) };
    ctx.store.fileSystems.insert(f);
    ctx.log.info({ fileSystemId: f.fileSystemId, server, path }, 'file system registered');
    return fsJson(ctx, f);
  });
}

export function describeFileSystems(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const id = p.string('fileSystemId', { pattern: FS_ID, patternText: 'must be fs- and 17 hex digits' });
  if (id !== undefined) {
    const f = ctx.store.fileSystems.get(id);
    if (!f) throw notFound('FileSystemNotFound', id, 'fileSystemId');
    return { fileSystems: [fsJson(ctx, f)] };
  }
  const limit = p.maxResults(100);
  const after = decodeToken(p.string('nextToken'), isString);
  const rows = ctx.store.fileSystems.list({ ...(after !== undefined ? { afterId: after } : {}), limit: limit + 1 });
  const { items, nextToken } = page(rows, limit, (f) => f.fileSystemId);
  return { fileSystems: items.map((f) => fsJson(ctx, f)), ...(nextToken ? { nextToken } : {}) };
}

export function deleteFileSystem(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const id = p.requiredString('fileSystemId', { pattern: FS_ID, patternText: 'must be fs- and 17 hex digits' });
  return ctx.store.tx(() => {
    const f = ctx.store.fileSystems.get(id);
    if (!f) throw notFound('FileSystemNotFound', id, 'fileSystemId');
    // EFS: a file system with access points (mount targets there) cannot be deleted.
    if (ctx.store.fileSystems.countAccessPoints(id) > 0) throw new StevedoreError('ResourceInUseException', `File system '${id}' has access points; delete them first.`, { field: 'fileSystemId' });
    ctx.store.fileSystems.delete(id);
    ctx.log.info({ fileSystemId: id }, 'file system deleted');
    return {};
  });
}

export function createAccessPoint(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const fileSystemId = p.requiredString('fileSystemId', { pattern: FS_ID, patternText: 'must be fs- and 17 hex digits' });
  const clientToken = p.string('clientToken', { max: 64 }) ?? newId('token');
  const name = p.string('name', { max: 256 });
  const root = p.body['rootDirectory'] as { path?: unknown } | undefined;
  const rootPath = root?.path === undefined ? '/' : root.path;
  if (typeof rootPath !== 'string' || rootPath.length > 100 || !EXPORT_PATH.test(rootPath) || rootPath.split('/').includes('..')) {
    throw new InvalidParameterException("rootDirectory.path must be an absolute path of letters, digits and _.@+- (no ',', ':', spaces or ..).", 'rootDirectory.path');
  }
  const posix = p.body['posixUser'] as { uid?: unknown; gid?: unknown } | undefined;
  const id32 = (v: unknown, f: string) => {
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 4294967295) throw new InvalidParameterException(`${f} must be an integer from 0 to 4294967295.`, f);
    return v as number;
  };
  const posixUid = posix === undefined ? undefined : id32(posix.uid, 'posixUser.uid');
  const posixGid = posix === undefined ? undefined : id32(posix.gid, 'posixUser.gid');
  const tags = tagsOf(p);
  return ctx.store.tx(() => {
    if (!ctx.store.fileSystems.get(fileSystemId)) throw notFound('FileSystemNotFound', fileSystemId, 'fileSystemId');
    const existing = ctx.store.fileSystems.accessPointByClientToken(clientToken);
    if (existing) {
      if (existing.fileSystemId === fileSystemId && existing.rootDirectory === rootPath) return apJson(ctx, existing);
      throw new ClientException(`Access point with client token '${clientToken}' already exists (${existing.accessPointId}).`, 'clientToken');
    }
    const a: StoredAccessPoint = {
      accessPointId: newId('fsap'), fileSystemId, clientToken, rootDirectory: rootPath, tags, createdAt: ctx.clock.now(),
      ...(name !== undefined ? { name } : {}), ...(posixUid !== undefined ? { posixUid } : {}), ...(posixGid !== undefined ? { posixGid } : {}),
    };
    ctx.store.fileSystems.insertAccessPoint(a);
    ctx.log.info({ accessPointId: a.accessPointId, fileSystemId, rootDirectory: rootPath }, 'access point created');
    return apJson(ctx, a);
  });
}

export function describeAccessPoints(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const id = p.string('accessPointId', { pattern: AP_ID, patternText: 'must be fsap- and 17 hex digits' });
  if (id !== undefined) {
    const a = ctx.store.fileSystems.getAccessPoint(id);
    if (!a) throw notFound('AccessPointNotFound', id, 'accessPointId');
    return { accessPoints: [apJson(ctx, a)] };
  }
  const fileSystemId = p.string('fileSystemId', { pattern: FS_ID, patternText: 'must be fs- and 17 hex digits' });
  const limit = p.maxResults(100);
  const after = decodeToken(p.string('nextToken'), isString);
  const rows = ctx.store.fileSystems.listAccessPoints({ ...(fileSystemId !== undefined ? { fileSystemId } : {}), ...(after !== undefined ? { afterId: after } : {}), limit: limit + 1 });
  const { items, nextToken } = page(rows, limit, (a) => a.accessPointId);
  return { accessPoints: items.map((a) => apJson(ctx, a)), ...(nextToken ? { nextToken } : {}) };
}

export function deleteAccessPoint(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const id = p.requiredString('accessPointId', { pattern: AP_ID, patternText: 'must be fsap- and 17 hex digits' });
  return ctx.store.tx(() => {
    if (!ctx.store.fileSystems.deleteAccessPoint(id)) throw notFound('AccessPointNotFound', id, 'accessPointId');
    ctx.log.info({ accessPointId: id }, 'access point deleted');
    return {};
  });
}

export const FILE_SYSTEM_ACTIONS: Record<string, Action> = {
  [`${TARGET}CreateFileSystem`]: createFileSystem,
  [`${TARGET}DescribeFileSystems`]: describeFileSystems,
  [`${TARGET}DeleteFileSystem`]: deleteFileSystem,
  [`${TARGET}CreateAccessPoint`]: createAccessPoint,
  [`${TARGET}DescribeAccessPoints`]: describeAccessPoints,
  [`${TARGET}DeleteAccessPoint`]: deleteAccessPoint,
};
