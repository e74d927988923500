import { randomBytes, randomUUID } from 'node:crypto';
import { InvalidParameterException, NotFoundError, StevedoreError, toEcsTimestamp } from '@stevedore/core';
import type { ApiContext } from '../context';
import { decodeToken, isString, page } from '../paging';
import { Params } from '../params';
import type { StoredSecret } from '../../store/secrets-repo';

/**
 * The secrets store, speaking AWS Secrets Manager's JSON protocol
 * (`X-Amz-Target: secretsmanager.<Op>`, PascalCase members), so the AWS CLI
 * and SDKs work against it. String secrets, one current version
 * (AWSCURRENT). Values are sealed at rest and appear only in
 * GetSecretValue's response; nothing here logs them.
 */
const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const NAME_TEXT = "must be 1-512 characters of letters, digits and /_+=.@-";
const MAX_VALUE_BYTES = 65_536;
const TOKEN = /^[A-Za-z0-9-]{32,64}$/;
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const notFound = () => new NotFoundError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
const markedForDeletion = () => new StevedoreError('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");

function arnOf(ctx: ApiContext, name: string): string {
  const suffix = [...randomBytes(6)].map((b) => SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length]).join('');
  return `arn:aws:secretsmanager:${ctx.arn.region}:${ctx.arn.account}:secret:${name}-${suffix}`;
}

/** A name, a full ARN, or a partial ARN (without the 6-character suffix). */
export function findSecret(ctx: ApiContext, id: string): StoredSecret | undefined {
  return ctx.store.secrets.find(id);
}

function requireSecret(ctx: ApiContext, p: Params, opts: { allowDeleted?: boolean } = {}): StoredSecret {
  const s = findSecret(ctx, p.requiredString('SecretId', { max: 2048 }));
  if (!s) throw notFound();
  if (s.deletionDate !== undefined && !opts.allowDeleted) throw markedForDeletion();
  return s;
}

function readValue(p: Params): string {
  if (p.has('SecretBinary')) throw new InvalidParameterException('SecretBinary is not supported by Stevedore; store the value as SecretString.', 'SecretBinary');
  const v = p.requiredString('SecretString');
  if (Buffer.byteLength(v, 'utf8') > MAX_VALUE_BYTES) throw new InvalidParameterException(`SecretString must be at most ${MAX_VALUE_BYTES} bytes.`, 'SecretString');
  return v;
}

function purge(ctx: ApiContext): void {
  const n = ctx.store.secrets.purgeDue(ctx.clock.now());
  if (n > 0) ctx.log.info({ secrets: n }, 'secrets past their recovery window deleted');
}

export function createSecret(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const name = p.requiredString('Name', { pattern: NAME, patternText: NAME_TEXT });
  const value = readValue(p);
  const description = p.string('Description', { max: 2048 });
  const versionId = p.string('ClientRequestToken', { pattern: TOKEN, patternText: 'must be 32-64 letters, digits and hyphens' }) ?? randomUUID();
  p.string('KmsKeyId', { max: 2048 });
  p.list('Tags', { max: 50 });
  if ((p.list('AddReplicaRegions') ?? []).length > 0) throw new InvalidParameterException('AddReplicaRegions is not supported by Stevedore.', 'AddReplicaRegions');
  return ctx.store.tx(() => {
    purge(ctx);
    const existing = ctx.store.secrets.get(name);
    if (existing) {
      if (existing.deletionDate !== undefined) throw markedForDeletion();
      // A retried request (same token) gets the same answer, as Secrets Manager does.
      if (existing.versionId === versionId && ctx.store.secrets.value(existing) === value) return { ARN: existing.arn, Name: name, VersionId: versionId };
      throw new StevedoreError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    }
    const now = ctx.clock.now();
    const s: StoredSecret = { name, arn: arnOf(ctx, name), versionId, createdAt: now, changedAt: now, ...(description !== undefined ? { description } : {}) };
    ctx.store.secrets.create(s, value);
    ctx.log.info({ secret: name }, 'secret created');
    return { ARN: s.arn, Name: name, VersionId: versionId };
  });
}

export function putSecretValue(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const value = readValue(p);
  const versionId = p.string('ClientRequestToken', { pattern: TOKEN, patternText: 'must be 32-64 letters, digits and hyphens' }) ?? randomUUID();
  return ctx.store.tx(() => {
    const s = requireSecret(ctx, p);
    if (s.versionId !== versionId || ctx.store.secrets.value(s) !== value) ctx.store.secrets.putValue(s.name, versionId, value, ctx.clock.now());
    ctx.log.info({ secret: s.name }, 'secret value updated');
    return { ARN: s.arn, Name: s.name, VersionId: versionId, VersionStages: ['AWSCURRENT'] };
  });
}

export function getSecretValue(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const versionId = p.string('VersionId', { max: 64 });
  const stage = p.string('VersionStage', { max: 256 });
  return ctx.store.tx(() => {
    purge(ctx);
    const s = requireSecret(ctx, p);
    if ((versionId !== undefined && versionId !== s.versionId) || (stage !== undefined && stage !== 'AWSCURRENT')) {
      throw new NotFoundError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label or version: only the current version (AWSCURRENT) is kept.");
    }
    const value = ctx.store.secrets.value(s);
    ctx.store.secrets.touch(s.name, ctx.clock.now());
    ctx.log.info({ secret: s.name }, 'secret value read');
    return { ARN: s.arn, Name: s.name, VersionId: s.versionId, SecretString: value, VersionStages: ['AWSCURRENT'], CreatedDate: toEcsTimestamp(s.changedAt) };
  });
}

function describe(s: StoredSecret) {
  return {
    ARN: s.arn,
    Name: s.name,
    ...(s.description !== undefined ? { Description: s.description } : {}),
    CreatedDate: toEcsTimestamp(s.createdAt),
    LastChangedDate: toEcsTimestamp(s.changedAt),
    ...(s.accessedAt !== undefined ? { LastAccessedDate: toEcsTimestamp(s.accessedAt) } : {}),
    ...(s.deletionDate !== undefined ? { DeletedDate: toEcsTimestamp(s.deletionDate) } : {}),
    VersionIdsToStages: { [s.versionId]: ['AWSCURRENT'] },
  };
}

export function describeSecret(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  return ctx.store.tx(() => {
    purge(ctx);
    return describe(requireSecret(ctx, p, { allowDeleted: true }));
  });
}

export function listSecrets(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const limit = p.integer('MaxResults', { min: 1, max: 100 }) ?? 100;
  const after = decodeToken(p.string('NextToken'), isString);
  if ((p.list('Filters') ?? []).length > 0) throw new InvalidParameterException('Filters are not supported by Stevedore.', 'Filters');
  const includeDeleted = p.boolean('IncludePlannedDeletion') ?? false;
  return ctx.store.tx(() => {
    purge(ctx);
    const { items, nextToken } = page(ctx.store.secrets.list(after, limit + 1), limit, (s) => s.name);
    return { SecretList: items.filter((s) => includeDeleted || s.deletionDate === undefined).map(describe), ...(nextToken ? { NextToken: nextToken } : {}) };
  });
}

/** Secrets Manager keeps a deleted secret for a recovery window (7-30 days, default 30) unless forced. */
export function deleteSecret(ctx: ApiContext, body: unknown) {
  const p = Params.of(body);
  const force = p.boolean('ForceDeleteWithoutRecovery') ?? false;
  const days = p.integer('RecoveryWindowInDays', { min: 7, max: 30 });
  if (force && days !== undefined) throw new InvalidParameterException('You can\'t use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.', 'RecoveryWindowInDays');
  return ctx.store.tx(() => {
    const s = requireSecret(ctx, p, { allowDeleted: true });
    const now = ctx.clock.now();
    if (force) {
      ctx.store.secrets.delete(s.name);
      ctx.log.info({ secret: s.name }, 'secret deleted');
      return { ARN: s.arn, Name: s.name, DeletionDate: toEcsTimestamp(now) };
    }
    if (s.deletionDate !== undefined) throw markedForDeletion();
    const at = now + (days ?? 30) * 86_400_000;
    ctx.store.secrets.scheduleDeletion(s.name, at);
    ctx.log.info({ secret: s.name, deletionDate: new Date(at).toISOString() }, 'secret scheduled for deletion');
    return { ARN: s.arn, Name: s.name, DeletionDate: toEcsTimestamp(at) };
  });
}
