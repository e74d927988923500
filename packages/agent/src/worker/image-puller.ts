import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { runtimeMessage, type ContainerController, type RegistryAuth } from '../exec/container-controller';

export const PULL_BEHAVIORS = ['default', 'always', 'once', 'prefer-cached'] as const;
export type PullBehavior = (typeof PULL_BEHAVIORS)[number];

export interface PullPlan {
  pull: boolean;
  /** A failed pull is fine when the image is cached. */
  fallbackToCache: boolean;
}

/** ECS_IMAGE_PULL_BEHAVIOR, as a pure decision. */
export function planPull(behavior: PullBehavior, cached: boolean, pulledBefore: boolean): PullPlan {
  switch (behavior) {
    case 'default':
      return { pull: true, fallbackToCache: true };
    case 'always':
      return { pull: true, fallbackToCache: false };
    case 'once':
      return { pull: !(cached && pulledBefore), fallbackToCache: false };
    case 'prefer-cached':
      return { pull: !cached, fallbackToCache: false };
  }
}

/** Behaviours whose plan is to pull whether or not the image is cached. */
export function pullsWhateverTheCache(behavior: PullBehavior): boolean {
  return planPull(behavior, true, true).pull && planPull(behavior, false, false).pull && planPull(behavior, true, false).pull;
}

export class ImagePullError extends Error {
  override readonly name = 'ImagePullError';
}

/**
 * Makes an image available per the pull behavior. Concurrent requests for
 * one image share a single pull; images this agent pulled are remembered in
 * the data dir for `once`.
 */
export class ImagePuller {
  private readonly inflight = new Map<string, Promise<void>>();
  private pulled: Set<string> | undefined;

  constructor(
    private readonly controller: ContainerController,
    private readonly behavior: PullBehavior,
    private readonly dataDir: string | undefined,
    private readonly log: Logger,
  ) {}

  ensure(image: string, auth?: RegistryAuth): Promise<void> {
    let p = this.inflight.get(image);
    if (!p) {
      p = this.doEnsure(image, auth).finally(() => this.inflight.delete(image));
      this.inflight.set(image, p);
    }
    return p;
  }

  private async doEnsure(image: string, auth: RegistryAuth | undefined): Promise<void> {
    const pulled = await this.load();
    // default and always pull whatever the cache holds: the cache is asked during the pull (it matters only if the pull fails), one Docker round trip less on every start.
    const cachedNow = this.controller.imageExists(image);
    cachedNow.catch(() => {});
    if (pullsWhateverTheCache(this.behavior)) return this.pull(image, auth, pulled, planPull(this.behavior, false, false), cachedNow);
    const cached = await cachedNow;
    const plan = planPull(this.behavior, cached, pulled.has(image));
    if (!plan.pull) {
      if (!cached) throw new ImagePullError(`image ${image} is not available`);
      return;
    }
    return this.pull(image, auth, pulled, plan, cachedNow);
  }

  private async pull(image: string, auth: RegistryAuth | undefined, pulled: Set<string>, plan: PullPlan, cachedBefore: Promise<boolean>): Promise<void> {
    try {
      await this.controller.pullImage(image, auth);
      await cachedBefore; // its failure fails the step, as when it was asked first
      pulled.add(image);
      await this.save();
    } catch (err) {
      if (plan.fallbackToCache && (await cachedBefore)) {
        this.log.warn({ image, err: runtimeMessage(err) }, 'pull failed; using the cached image');
        return;
      }
      throw new ImagePullError(runtimeMessage(err));
    }
  }

  private async load(): Promise<Set<string>> {
    if (this.pulled) return this.pulled;
    this.pulled = new Set();
    if (!this.dataDir) return this.pulled;
    try {
      const list = JSON.parse(await fs.readFile(path.join(this.dataDir, 'pulled-images.json'), 'utf8')) as unknown;
      if (Array.isArray(list)) for (const i of list) if (typeof i === 'string') this.pulled.add(i);
    } catch {
      // First start, or an unreadable file: everything counts as never pulled.
    }
    return this.pulled;
  }

  private async save(): Promise<void> {
    if (!this.dataDir || !this.pulled) return;
    const file = path.join(this.dataDir, 'pulled-images.json');
    await fs.writeFile(`${file}.tmp`, JSON.stringify([...this.pulled]));
    await fs.rename(`${file}.tmp`, file);
  }
}
