import type { Logger } from 'pino';

/** What the control plane issues for a task role (GetTaskCredentials). */
export interface RoleCredentials {
  roleArn: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch ms. */
  expiration: number;
}

export type FetchCredentials = (taskArn: string) => Promise<RoleCredentials>;

/** Retry a failed rotation this often while the current key is still valid. */
const ROTATION_RETRY_MS = 30_000;
/**
 * A key with less than this left is not served (the SDKs would have to come
 * back at once): a minute, or a quarter of the key's lifetime when the
 * control plane issues short-lived keys (`--task-credentials-ttl` down to
 * 10 s for tests), so such a key is still served rather than replaced at
 * every request.
 */
export function minRemaining(lifetimeMs: number): number {
  return Math.min(60_000, Math.floor(lifetimeMs / 4));
}

/** When to fetch the next key: at half of what is left (ECS's agent refreshes well before expiry too). */
export function rotationDelay(expiration: number, now: number): number {
  return Math.max(1000, Math.floor((expiration - now) / 2));
}

interface Entry {
  current?: RoleCredentials;
  /** The current key's lifetime when it arrived. */
  lifetimeMs?: number;
  pending?: Promise<RoleCredentials>;
  timer?: NodeJS.Timeout;
  released?: boolean;
}

/**
 * Task role credentials held by the agent, in memory only (never journaled,
 * labelled or logged beyond the access key id). Each task's key is fetched
 * on first need, rotated at half its remaining life while the task runs, and
 * dropped when the task stops (the control plane refuses its keys from then
 * on anyway).
 */
export class TaskCredentialsCache {
  private readonly tasks = new Map<string, Entry>();

  constructor(
    private readonly fetch: FetchCredentials,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  /** Current credentials of the task, fetched (once, however many callers wait) when missing or nearly expired. */
  async get(taskArn: string): Promise<RoleCredentials> {
    let e = this.tasks.get(taskArn);
    if (!e) {
      e = {};
      this.tasks.set(taskArn, e);
    }
    if (e.current && e.current.expiration - this.now() > minRemaining(e.lifetimeMs ?? 0)) return e.current;
    return this.refresh(taskArn, e);
  }

  private refresh(taskArn: string, e: Entry): Promise<RoleCredentials> {
    e.pending ??= this.fetch(taskArn)
      .then((c) => {
        if (e.released) return c;
        e.current = c;
        e.lifetimeMs = c.expiration - this.now();
        this.log.info({ task: taskArn, accessKeyId: c.accessKeyId, roleArn: c.roleArn, expiration: new Date(c.expiration).toISOString() }, 'task role credentials received');
        this.schedule(taskArn, e, rotationDelay(c.expiration, this.now()));
        return c;
      })
      .finally(() => {
        e.pending = undefined;
      });
    return e.pending;
  }

  private schedule(taskArn: string, e: Entry, ms: number): void {
    clearTimeout(e.timer);
    e.timer = setTimeout(() => {
      this.refresh(taskArn, e).catch((err: unknown) => {
        if (e.released) return;
        const left = (e.current?.expiration ?? 0) - this.now();
        this.log.warn({ task: taskArn, err: (err as Error).message, retryInMs: ROTATION_RETRY_MS, validForMs: left }, 'task role credentials rotation failed');
        if (left > 0) this.schedule(taskArn, e, Math.min(ROTATION_RETRY_MS, left));
      });
    }, ms);
    e.timer.unref();
  }

  /** The task stopped: forget its keys and stop rotating. */
  release(taskArn: string): void {
    const e = this.tasks.get(taskArn);
    if (!e) return;
    e.released = true;
    clearTimeout(e.timer);
    this.tasks.delete(taskArn);
  }

  has(taskArn: string): boolean {
    return this.tasks.get(taskArn)?.current !== undefined;
  }

  close(): void {
    for (const arn of [...this.tasks.keys()]) this.release(arn);
  }
}
