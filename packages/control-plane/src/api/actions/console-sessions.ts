import { randomBytes } from 'node:crypto';
import { evaluate, InvalidParameterException, StevedoreError, toEcsTimestamp } from '@stevedore/core';
import type { RequestContext } from '../context';
import { Params } from '../params';
import { newTemporaryKeyId, TEMPORARY_KEY_ID_PATTERN } from '../../store/task-credentials-repo';
import type { ConsoleSigninToken } from '../../store/console-sessions-repo';

/** The sign-in URL is good for five minutes, and once. */
export const CONSOLE_SIGNIN_TOKEN_TTL_MS = 5 * 60_000;
/** Console sessions: an hour unless asked (AWS console federation's default), at most 12 (its bound). */
export const DEFAULT_CONSOLE_SESSION_SECONDS = 3600;
const MIN_CONSOLE_SESSION_SECONDS = 900;
const MAX_CONSOLE_SESSION_SECONDS = 12 * 3600;
/** `svs1.<16 hex id>.<43 base64url secret>` */
const SIGNIN_TOKEN_RE = /^svs1\.([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

export const REDEEM_CONSOLE_SIGNIN_TOKEN = 'RedeemConsoleSigninToken';

/**
 * Stevedore_20261125.GetConsoleSigninToken: a one-time token that the
 * `stevedore console` URL carries. A Get, like AWS's federation
 * `getSigninToken`, so read-only keys may open a (read-only) console; it is
 * audited all the same (router.ts). Only a long-term access key may ask:
 * a console session cannot mint its successor and outlive its expiry.
 */
export function getConsoleSigninToken(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const sessionSeconds = p.integer('sessionDurationSeconds', { min: MIN_CONSOLE_SESSION_SECONDS, max: MAX_CONSOLE_SESSION_SECONDS }) ?? DEFAULT_CONSOLE_SESSION_SECONDS;
  const caller = ctx.caller;
  if (TEMPORARY_KEY_ID_PATTERN.test(caller.accessKeyId)) {
    throw new StevedoreError('AccessDeniedException', 'Temporary credentials cannot open a console session: sign in with an access key.', { httpStatus: 403 });
  }
  const now = ctx.clock.now();
  const tokenId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const t: ConsoleSigninToken = { tokenId, roleName: caller.roleName, sourceAccessKeyId: caller.accessKeyId, sessionSeconds, createdAt: now, expiresAt: now + CONSOLE_SIGNIN_TOKEN_TTL_MS };
  ctx.store.tx(() => ctx.store.consoleSessions.insertToken(t, secret));
  ctx.log.info({ signinTokenId: tokenId, role: caller.roleName, sessionSeconds }, 'console sign-in token issued');
  return { signinToken: `svs1.${tokenId}.${secret}`, expiresAt: toEcsTimestamp(t.expiresAt), sessionDurationSeconds: sessionSeconds };
}

/**
 * Stevedore_20261125.RedeemConsoleSigninToken, the one unsigned operation
 * (the token is the credential, as with STS AssumeRoleWithWebIdentity):
 * exchanges a sign-in token, once, for temporary credentials of the
 * issuing key's role. server.ts routes it around SigV4.
 */
export function redeemConsoleSigninToken(ctx: Omit<RequestContext, 'caller'>, body: unknown) {
  const p = Params.of(body);
  const raw = p.requiredString('signinToken', { max: 200 });
  const m = SIGNIN_TOKEN_RE.exec(raw);
  const invalid = (why: string) => new StevedoreError('AccessDeniedException', `The sign-in link ${why}. Run stevedore console again for a new one.`, { httpStatus: 403, field: 'signinToken' });
  if (!m) throw invalid('is not valid');
  const [, tokenId, secret] = m as unknown as [string, string, string];
  return ctx.store.tx(() => {
    const now = ctx.clock.now();
    const t = ctx.store.consoleSessions.getToken(tokenId);
    if (!t || !ctx.store.consoleSessions.tokenSecretMatches(tokenId, secret)) throw invalid('is not valid');
    if (t.redeemedAt !== undefined) throw invalid('was already used');
    if (t.expiresAt <= now) throw invalid('has expired');
    // The key that asked must still exist: deleting a key ends what it opened.
    if (!ctx.store.iam.getAccessKey(t.sourceAccessKeyId)) throw invalid('is not valid: its access key was deleted');
    if (!ctx.store.consoleSessions.redeem(tokenId, now)) throw invalid('was already used');
    const accessKeyId = newTemporaryKeyId();
    const secretAccessKey = randomBytes(30).toString('base64');
    const sessionToken = `SVDC${randomBytes(48).toString('base64')}`;
    const expiresAt = now + t.sessionSeconds * 1000;
    ctx.store.consoleSessions.insertCredential({ accessKeyId, roleName: t.roleName, sourceAccessKeyId: t.sourceAccessKeyId, expiresAt, createdAt: now }, secretAccessKey, sessionToken);
    ctx.log.info({ signinTokenId: tokenId, accessKeyId, sourceAccessKeyId: t.sourceAccessKeyId, role: t.roleName }, 'console sign-in token redeemed');
    // The region the API signs in: the browser signs every later request for it.
    return { credentials: { accessKeyId, secretAccessKey, sessionToken, expiration: toEcsTimestamp(expiresAt) }, roleName: t.roleName, sourceAccessKeyId: t.sourceAccessKeyId, region: ctx.arn.region };
  });
}

const DECISION_NAMES = { allow: 'allowed', 'explicit-deny': 'explicitDeny', 'implicit-deny': 'implicitDeny' } as const;
const ACTION_NAME_RE = /^[a-z-]{2,40}:[A-Za-z0-9]{1,128}$/;

/**
 * Stevedore_20261125.GetCallerPermissions: what the caller's own policy
 * decides for each action on each resource (IAM SimulatePrincipalPolicy's
 * result shape, evaluated by the engine that authorizes requests), so a
 * client such as the console can hide what would be refused. Only a hint:
 * every request is still authorized when it is made.
 */
export function getCallerPermissions(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const actions = p.stringList('actionNames', { required: true, min: 1, max: 100 }) ?? [];
  const resources = p.stringList('resourceArns', { max: 20 }) ?? ['*'];
  actions.forEach((a, i) => {
    if (!ACTION_NAME_RE.test(a)) throw new InvalidParameterException(`actionNames[${i}] must be namespace:Action, as ecs:UpdateService.`, `actionNames[${i}]`);
  });
  resources.forEach((r, i) => {
    if (r !== '*' && !/^arn:[\x21-\x7e]{1,2044}$/.test(r)) throw new InvalidParameterException(`resourceArns[${i}] must be an ARN or *.`, `resourceArns[${i}]`);
  });
  const evaluationResults = actions.flatMap((action) =>
    resources.map((resource) => ({ evalActionName: action, evalResourceName: resource, evalDecision: DECISION_NAMES[evaluate(ctx.caller.policy, action, resource)] })),
  );
  return { principalArn: ctx.caller.arn, roleName: ctx.caller.roleName, evaluationResults };
}
