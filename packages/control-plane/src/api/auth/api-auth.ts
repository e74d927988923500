import type { Logger } from 'pino';
import { StevedoreError, type ArnContext, type Clock } from '@stevedore/core';
import type { Store } from '../../store/store';
import type { StoredAccessKey } from '../../store/iam-repo';
import type { TaskCredential } from '../../store/task-credentials-repo';
import { TEMPORARY_KEY_ID_PATTERN } from '../../store/task-credentials-repo';
import type { ConsoleCredential } from '../../store/console-sessions-repo';
import { AuthError, MAX_SKEW_MS, verifySigV4, type ReceivedRequest } from './sigv4';
import { ReplayCache } from './replay-cache';
import { DEFAULT_API_RATE_LIMIT, RateLimiter, type RateLimit } from './rate-limiter';
import { accessDenied, ADMIN_POLICY, BUILT_IN_ROLES, evaluate, type PolicyDocument } from './policy';
import { actionOf, resourcesOf, TARGET_NAMESPACES, type ResourceLookups } from './operation-resources';
import { impliedPermissions } from './implied-permissions';

/** Who made a request: an access key and the role whose policy it carries. */
export interface Principal {
  accessKeyId: string;
  roleName: string;
  /** As AWS names a role session: arn:aws:sts::<account>:assumed-role/<role>/<key>. */
  arn: string;
  policy: PolicyDocument;
  /** Set for a task role's temporary credentials: the task they were issued to. */
  taskArn?: string;
}

export interface ApiAuthOptions {
  /** False only with --insecure-disable-auth (loopback, benchmarks). */
  enabled: boolean;
  rateLimit?: RateLimit;
  /** Refused signatures per (client address, access key id) (default 10/s, burst 50). */
  failedAuthRateLimit?: RateLimit;
  maxSkewMs?: number;
  /** Bound of the replay cache (default 200,000 signatures). */
  replayCacheEntries?: number;
}

const FAILED_AUTH_RATE_LIMIT = { steady: 10, burst: 50 };
const EMPTY_POLICY: PolicyDocument = { Version: '2012-10-17', Statement: [] };
const ALL_SERVICES = ['ecs', 'secretsmanager', 'ssm', 'application-autoscaling', 'monitoring', 'elasticloadbalancing', 'logs', 'acm', 'scheduler'];
/** The signing service of each API namespace; Stevedore's own operations sign as ecs, like the CLI does. */
const SIGNING_SERVICE: ReadonlyMap<string, string> = new Map([['ecs', 'ecs'], ['stevedore', 'ecs'], ['secretsmanager', 'secretsmanager'], ['ssm', 'ssm'], ['application-autoscaling', 'application-autoscaling'], ['cloudwatch', 'monitoring'], ['elasticloadbalancing', 'elasticloadbalancing'], ['logs', 'logs'], ['acm', 'acm'], ['scheduler', 'scheduler']]);

function signingServicesFor(target: string): string[] {
  const ns = TARGET_NAMESPACES.get(target.slice(0, Math.max(0, target.lastIndexOf('.'))));
  const svc = ns && SIGNING_SERVICE.get(ns);
  return svc ? [svc] : ALL_SERVICES;
}

/**
 * Authentication (SigV4, replay window, per-key throttling) and authorization
 * (role policy over the operation's resources) for the API, in that order.
 * Refusals are logged with the access key id and never with a signature or a
 * secret; the log itself is rate limited so a flood of junk cannot fill disks.
 */
export class ApiAuth {
  private readonly replays: ReplayCache;
  private readonly limiter: RateLimiter;
  /**
   * Failed authentications per (client address, access key id). Only failures
   * draw from it, after verification: a valid signature is never refused by
   * it, and a client failing with one key id cannot slow down callers of
   * another key behind the same address (a NAT, a CI runner, a bastion).
   */
  private readonly failures: RateLimiter;
  private readonly maxSkewMs: number;
  private logBudget = { tokens: 20, at: 0, suppressed: 0 };
  private readonly lookups: ResourceLookups = {
    secretArn: (id) => this.store.secrets.find(id)?.arn,
  };

  constructor(
    private readonly store: Store,
    private readonly arn: ArnContext,
    private readonly clock: Clock,
    private readonly log: Logger,
    readonly options: ApiAuthOptions,
  ) {
    this.maxSkewMs = options.maxSkewMs ?? MAX_SKEW_MS;
    // In the store: a restart must not forget which signatures were used (see replay-cache.ts).
    this.replays = new ReplayCache(this.maxSkewMs, options.replayCacheEntries, store.replayCache, clock.now());
    this.limiter = new RateLimiter(options.rateLimit ?? DEFAULT_API_RATE_LIMIT);
    this.failures = new RateLimiter(options.failedAuthRateLimit ?? FAILED_AUTH_RATE_LIMIT);
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  async authenticate(req: ReceivedRequest, target: string, remote: string): Promise<Principal> {
    if (!this.options.enabled) return UNAUTHENTICATED_ADMIN;
    const nowMs = this.clock.now();
    let key: StoredAccessKey | undefined;
    let temporary: TaskCredential | undefined;
    let consoleKey: ConsoleCredential | undefined;
    try {
      // Verify first: the check costs one SigV4 computation (a few HMACs, about
      // what parsing the request costs), and rationing before it would let
      // anyone who knows an access key id lock its holder out.
      const verified = await verifySigV4(req, {
        nowMs,
        region: this.arn.region,
        services: signingServicesFor(target),
        maxSkewMs: this.maxSkewMs,
        secretFor: (id) => {
          if (TEMPORARY_KEY_ID_PATTERN.test(id)) {
            // A task role's temporary key (docs/design/task-roles.md): valid until it expires or its task stops.
            const t = this.store.taskCredentials.getWithSecret(id);
            temporary = t?.credential;
            if (t) return t.secretAccessKey;
            // Or a web console session's (docs/design/console.md).
            const c = this.store.consoleSessions.getCredentialWithSecret(id);
            consoleKey = c?.credential;
            return c?.secretAccessKey;
          }
          const found = this.store.iam.getAccessKeyWithSecret(id);
          key = found?.key;
          return found?.secretAccessKey;
        },
      });
      if (temporary) this.checkTemporary(temporary, req, nowMs);
      if (consoleKey) this.checkConsole(consoleKey, req, nowMs);
      if (!this.replays.checkAndRecord(verified.signature, verified.signedAtMs, nowMs)) {
        throw new AuthError('InvalidSignatureException', 'Request replay detected: this signature was already used. Sign each request anew (SDKs add a unique amz-sdk-invocation-id header).', verified.accessKeyId);
      }
      if (!this.limiter.tryTake(verified.accessKeyId, nowMs)) throw new StevedoreError('ThrottlingException', 'Rate exceeded', { retryable: true });
      if (temporary) {
        return {
          accessKeyId: verified.accessKeyId,
          roleName: temporary.roleName,
          // As STS names a task's role session: the session name is the task id.
          arn: `arn:aws:sts::${this.arn.account}:assumed-role/${temporary.roleName}/${temporary.taskId}`,
          policy: this.storedPolicyOf(temporary.roleName),
          taskArn: temporary.taskArn,
        };
      }
      if (consoleKey) {
        return {
          accessKeyId: verified.accessKeyId,
          roleName: consoleKey.roleName,
          // The session is named after the access key that opened it, so audit lines lead back to it.
          arn: `arn:aws:sts::${this.arn.account}:assumed-role/${consoleKey.roleName}/${consoleKey.sourceAccessKeyId}`,
          policy: this.policyOf(consoleKey.roleName),
        };
      }
      const roleName = key!.roleName;
      return {
        accessKeyId: verified.accessKeyId,
        roleName,
        arn: `arn:aws:sts::${this.arn.account}:assumed-role/${roleName}/${verified.accessKeyId}`,
        policy: this.policyOf(roleName),
      };
    } catch (e) {
      let refusal = e;
      if (e instanceof AuthError && !this.failures.tryTake(failureKey(remote, e.accessKeyId), nowMs)) {
        // Past its ration a failing caller is told to back off; what it sent is still logged (rate limited).
        refusal = new StevedoreError('ThrottlingException', 'Rate exceeded', { retryable: true });
      }
      if (e instanceof StevedoreError) {
        const accessKeyId = e instanceof AuthError ? e.accessKeyId : (key?.accessKeyId ?? temporary?.accessKeyId ?? consoleKey?.accessKeyId);
        this.refused(nowMs, { accessKeyId, target, remote, error: (refusal as StevedoreError).code, reason: e.message });
      }
      throw refusal;
    }
  }

  /** Throws AccessDeniedException unless the principal's role allows the operation on every resource it touches. */
  authorize(principal: Principal, target: string, body: unknown): void {
    if (principal === UNAUTHENTICATED_ADMIN) return;
    // A target of no known API namespace is matched as itself: only an Action "*" grant reaches it.
    const action = actionOf(target) ?? target;
    for (const resource of resourcesOf(action, body, this.arn, this.lookups)) this.require(principal, target, action, resource);
    // Permission-only actions some requests need as well (stevedore:AllowHostAccess for the host-access settings).
    for (const p of impliedPermissions(action, body, this.arn)) this.require(principal, target, p.action, p.resource);
  }

  private require(principal: Principal, target: string, action: string, resource: string): void {
    const decision = evaluate(principal.policy, action, resource);
    if (decision === 'allow') return;
    this.refused(this.clock.now(), { accessKeyId: principal.accessKeyId, role: principal.roleName, target, error: 'AccessDeniedException', action, resource });
    throw accessDenied(principal.arn, action, resource, decision);
  }

  /**
   * A temporary key also needs its session token (X-Amz-Security-Token, as
   * the SDKs send it), an expiration in the future, and a task that still
   * runs: stopping the task revokes every key it was given, at once.
   */
  private checkTemporary(t: TaskCredential, req: ReceivedRequest, nowMs: number): void {
    const token = req.headers['x-amz-security-token']?.[0] ?? new URL(req.url, 'http://x').searchParams.get('X-Amz-Security-Token') ?? undefined;
    if (token === undefined || !this.store.taskCredentials.tokenMatches(t.accessKeyId, token)) {
      throw new AuthError('UnrecognizedClientException', 'The security token included in the request is invalid.', t.accessKeyId);
    }
    if (t.expiresAt <= nowMs) throw new AuthError('ExpiredTokenException', 'The security token included in the request is expired', t.accessKeyId);
    const task = this.store.tasks.get(t.taskId);
    if (!task || task.desiredStatus !== 'RUNNING' || task.lastStatus === 'STOPPED') {
      throw new AuthError('UnrecognizedClientException', 'The security token included in the request is invalid: the task it was issued to has stopped.', t.accessKeyId);
    }
  }

  /** A console session's key: its session token, not expired, and the access key that opened it still there. */
  private checkConsole(c: ConsoleCredential, req: ReceivedRequest, nowMs: number): void {
    const token = req.headers['x-amz-security-token']?.[0];
    if (token === undefined || !this.store.consoleSessions.sessionTokenMatches(c.accessKeyId, token)) {
      throw new AuthError('UnrecognizedClientException', 'The security token included in the request is invalid.', c.accessKeyId);
    }
    if (c.expiresAt <= nowMs) throw new AuthError('ExpiredTokenException', 'The security token included in the request is expired', c.accessKeyId);
    if (!this.store.iam.getAccessKey(c.sourceAccessKeyId)) {
      throw new AuthError('UnrecognizedClientException', 'The security token included in the request is invalid: the access key that opened this console session was deleted.', c.accessKeyId);
    }
  }

  /** Task roles are stored roles only (never a built-in one, see dispatcher/task-credentials.ts). */
  private storedPolicyOf(roleName: string): PolicyDocument {
    return (this.store.iam.getRole(roleName)?.policyDocument as PolicyDocument | undefined) ?? EMPTY_POLICY;
  }

  private policyOf(roleName: string): PolicyDocument {
    const builtIn = BUILT_IN_ROLES.get(roleName);
    if (builtIn) return builtIn.policyDocument;
    // A role deleted under a key (DeleteRole refuses that) grants nothing.
    return (this.store.iam.getRole(roleName)?.policyDocument as PolicyDocument | undefined) ?? EMPTY_POLICY;
  }

  private refused(nowMs: number, fields: Record<string, unknown>): void {
    const b = this.logBudget;
    b.tokens = Math.min(20, b.tokens + (Math.max(0, nowMs - b.at) / 1000) * 5);
    b.at = nowMs;
    if (b.tokens < 1) {
      b.suppressed++;
      return;
    }
    b.tokens--;
    this.log.warn({ ...fields, ...(b.suppressed ? { suppressedSinceLast: b.suppressed } : {}) }, 'api request refused');
    b.suppressed = 0;
  }
}

/** Failure buckets: one per client address and claimed key id ('' when the request named none). */
function failureKey(remote: string, accessKeyId: string | undefined): string {
  // Claimed ids are the client's bytes: cut them so junk cannot grow the table's keys (real ids are 20 characters).
  return `${remote}\n${(accessKeyId ?? '').slice(0, 64)}`;
}

/** The principal of every request when authentication is disabled. */
export const UNAUTHENTICATED_ADMIN: Principal = Object.freeze({
  accessKeyId: 'UNAUTHENTICATED',
  roleName: 'admin',
  arn: 'arn:aws:sts::000000000000:assumed-role/admin/UNAUTHENTICATED',
  policy: ADMIN_POLICY,
});
