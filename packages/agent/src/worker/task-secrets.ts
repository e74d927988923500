import type { TaskSecrets } from '@stevedore/core/host';

/** How long a container that needs secrets waits for them after an agent restart (the next COMPLETE brings them). */
export const SECRETS_WAIT_MS = 30_000;

/**
 * Secret values by task, in memory only: the control plane sends them with
 * each assignment of a task it wants running, and they are never journaled,
 * logged or put in labels. After an agent restart they are back with the
 * session's COMPLETE set; a container created before that waits for them.
 */
export class TaskSecretsStore {
  private readonly byTask = new Map<string, TaskSecrets>();
  private readonly waiters = new Map<string, ((s: TaskSecrets) => void)[]>();

  constructor(private readonly waitMs = SECRETS_WAIT_MS) {}

  set(taskArn: string, s: TaskSecrets): void {
    this.byTask.set(taskArn, s);
    for (const w of this.waiters.get(taskArn) ?? []) w(s);
    this.waiters.delete(taskArn);
  }

  get(taskArn: string): TaskSecrets | undefined {
    return this.byTask.get(taskArn);
  }

  delete(taskArn: string): void {
    this.byTask.delete(taskArn);
  }

  wait(taskArn: string, timeoutMs = this.waitMs): Promise<TaskSecrets | undefined> {
    const known = this.byTask.get(taskArn);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      const list = this.waiters.get(taskArn) ?? [];
      const done = (s: TaskSecrets | undefined) => {
        clearTimeout(timer);
        resolve(s);
      };
      const timer = setTimeout(() => {
        const rest = (this.waiters.get(taskArn) ?? []).filter((w) => w !== done);
        if (rest.length) this.waiters.set(taskArn, rest);
        else this.waiters.delete(taskArn);
        resolve(undefined);
      }, timeoutMs);
      timer.unref();
      list.push(done);
      this.waiters.set(taskArn, list);
    });
  }

  get size(): number {
    return this.byTask.size;
  }
}
