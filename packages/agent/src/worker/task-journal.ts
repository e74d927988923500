import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { idOf } from '@stevedore/core/host';
import type { TaskState } from './task-state';

/**
 * Per-task checkpoint in <data-dir>/tasks/<task-id>.json. Docker labels find
 * the containers that still exist; the journal remembers the spec and the
 * containers that should exist, which is how the agent can tell that a
 * container vanished while it was down (labels of a removed container are
 * gone with it).
 */
export interface TaskJournal {
  save(state: TaskState): Promise<void>;
  remove(taskArn: string): Promise<void>;
  loadAll(): Promise<TaskState[]>;
}

export class FileTaskJournal implements TaskJournal {
  private readonly dir: string;
  private dirTightened = false;
  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'tasks');
  }

  private file(taskArn: string): string {
    return path.join(this.dir, `${idOf(taskArn).replace(/[^a-zA-Z0-9_-]/g, '_')}.json`);
  }

  /**
   * Write, fsync, rename, fsync the directory: after a crash or power loss
   * the journal holds either the old state or the new one, never an empty or
   * torn file (a rename can reach the disk before the data it names). Files
   * are 0600 and the directory 0700: a task's spec carries its environment.
   */
  async save(state: TaskState): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    if (!this.dirTightened) {
      // A directory an older version made with the umask's mode.
      await fs.chmod(this.dir, 0o700);
      this.dirTightened = true;
    }
    const file = this.file(state.taskArn);
    const tmp = `${file}.tmp`;
    const fh = await fs.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(state));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
    await this.syncDir();
  }

  private async syncDir(): Promise<void> {
    const dh = await fs.open(this.dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }

  async remove(taskArn: string): Promise<void> {
    await fs.rm(this.file(taskArn), { force: true });
  }

  async loadAll(): Promise<TaskState[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return [];
    }
    const out: TaskState[] = [];
    for (const n of names.filter((x) => x.endsWith('.json'))) {
      try {
        out.push(JSON.parse(await fs.readFile(path.join(this.dir, n), 'utf8')) as TaskState);
      } catch {
        // A torn write cannot happen (fsync, then an atomic rename); anything else unreadable is skipped.
      }
    }
    return out;
  }
}

/** For tests and for running without a data dir. */
export class MemoryTaskJournal implements TaskJournal {
  readonly states = new Map<string, string>();
  async save(state: TaskState): Promise<void> {
    this.states.set(state.taskArn, JSON.stringify(state));
  }
  async remove(taskArn: string): Promise<void> {
    this.states.delete(taskArn);
  }
  async loadAll(): Promise<TaskState[]> {
    return [...this.states.values()].map((s) => JSON.parse(s) as TaskState);
  }
}
