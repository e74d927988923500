import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Where shipping of one container's log resumes: Docker's `since` (the
 * RFC 3339 timestamp, nanoseconds included, of the last line delivered) and
 * how many lines carrying exactly that timestamp were delivered (Docker's
 * `since` is inclusive, so those are skipped when reading again). `done`:
 * the container stopped and everything it wrote was delivered.
 */
export interface LogOffset {
  since: string;
  skip: number;
  done?: boolean;
}

export interface OffsetStore {
  get(runtimeId: string): LogOffset | undefined;
  /** Durable when the promise resolves. */
  set(runtimeId: string, offset: LogOffset): Promise<void>;
  /** Entries of containers not in `alive` are dropped (they are gone from Docker). */
  retain(alive: ReadonlySet<string>): Promise<void>;
}

/**
 * Offsets in one JSON file in the agent's data dir, written like the task
 * journal (write, fsync, rename, fsync the directory), so after a crash it
 * holds either the old or the new offsets, never a torn file. Writes are
 * serialized; each covers every container (the file stays small: one entry
 * per awslogs container on the host).
 */
export class FileOffsetStore implements OffsetStore {
  private readonly offsets = new Map<string, LogOffset>();
  private chain: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async open(dataDir: string): Promise<FileOffsetStore> {
    const s = new FileOffsetStore(path.join(dataDir, 'awslogs-offsets.json'));
    try {
      const raw = JSON.parse(await fs.readFile(s.file, 'utf8')) as Record<string, LogOffset>;
      for (const [id, o] of Object.entries(raw)) {
        if (/^[0-9a-f]{64}$/.test(id) && typeof o?.since === 'string' && Number.isInteger(o.skip)) s.offsets.set(id, o);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return s;
  }

  get(runtimeId: string): LogOffset | undefined {
    return this.offsets.get(runtimeId);
  }

  set(runtimeId: string, offset: LogOffset): Promise<void> {
    this.offsets.set(runtimeId, offset);
    return this.write();
  }

  retain(alive: ReadonlySet<string>): Promise<void> {
    let changed = false;
    for (const id of [...this.offsets.keys()]) {
      if (!alive.has(id)) {
        this.offsets.delete(id);
        changed = true;
      }
    }
    return changed ? this.write() : Promise.resolve();
  }

  private write(): Promise<void> {
    const body = JSON.stringify(Object.fromEntries(this.offsets));
    const next = this.chain.then(async () => {
      const tmp = `${this.file}.tmp`;
      const fh = await fs.open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.rename(tmp, this.file);
      const dh = await fs.open(path.dirname(this.file), 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** In memory, for tests: survives a simulated agent restart when the same instance is passed on. */
export class MemoryOffsetStore implements OffsetStore {
  readonly offsets = new Map<string, LogOffset>();
  get(runtimeId: string): LogOffset | undefined {
    return this.offsets.get(runtimeId);
  }
  async set(runtimeId: string, offset: LogOffset): Promise<void> {
    this.offsets.set(runtimeId, { ...offset });
  }
  async retain(alive: ReadonlySet<string>): Promise<void> {
    for (const id of [...this.offsets.keys()]) if (!alive.has(id)) this.offsets.delete(id);
  }
}
