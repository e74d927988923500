import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeContainerController } from '../testing/fake-container-controller';
import { silentLogger } from '../logger';
import { ImagePuller, planPull, pullsWhateverTheCache, type PullBehavior } from './image-puller';

describe('planPull (ECS_IMAGE_PULL_BEHAVIOR)', () => {
  const rows: [PullBehavior, boolean, boolean, boolean, boolean][] = [
    // behavior, cached, pulledBefore -> pull, fallbackToCache
    ['default', false, false, true, true],
    ['default', true, true, true, true],
    ['always', true, true, true, false],
    ['once', true, true, false, false],
    ['once', true, false, true, false],
    ['once', false, true, true, false],
    ['prefer-cached', true, false, false, false],
    ['prefer-cached', false, false, true, false],
  ];
  for (const [b, cached, before, pull, fallback] of rows) {
    it(`${b} cached=${cached} pulledBefore=${before}`, () => {
      assert.deepEqual(planPull(b, cached, before), { pull, fallbackToCache: fallback });
    });
  }
});

describe('ImagePuller', () => {
  it('shares one pull between concurrent requests for the same image', async () => {
    const fake = new FakeContainerController();
    fake.registry.add('img:1');
    let pulls = 0;
    const orig = fake.pullImage.bind(fake);
    fake.pullImage = async (i) => {
      pulls++;
      await new Promise((r) => setTimeout(r, 10));
      return orig(i);
    };
    const p = new ImagePuller(fake, 'always', undefined, silentLogger());
    await Promise.all([p.ensure('img:1'), p.ensure('img:1'), p.ensure('img:1')]);
    assert.equal(pulls, 1);
    await p.ensure('img:1');
    assert.equal(pulls, 2, 'always pulls again for a new start');
  });

  it('prefer-cached never pulls a cached image; fails clearly for a missing one', async () => {
    const fake = new FakeContainerController();
    fake.images.add('cached:1');
    const p = new ImagePuller(fake, 'prefer-cached', undefined, silentLogger());
    await p.ensure('cached:1');
    await assert.rejects(p.ensure('missing:1'), /no such host/);
  });
});

describe('the cache is asked during the pull when the plan pulls anyway', () => {
  it('default and always pull whatever the cache holds; once and prefer-cached do not', () => {
    assert.deepEqual((['default', 'always', 'once', 'prefer-cached'] as const).map(pullsWhateverTheCache), [true, true, false, false]);
  });

  /** A fake whose image inspect answers only when released, recording when the pull began. */
  function slowInspect(cached: boolean, pullFails: boolean) {
    const fake = new FakeContainerController();
    const events: string[] = [];
    let answer!: () => void;
    fake.imageExists = () => new Promise((r) => (answer = () => (events.push('inspect answered'), r(cached))));
    fake.pullImage = async () => {
      events.push('pull');
      answer();
      if (pullFails) throw new Error('dial tcp: lookup registry-1.docker.io: no such host');
    };
    return { fake, events, answer: () => answer() };
  }

  it('default: the pull begins before the inspect answers; a failed pull of a cached image uses the cache', async () => {
    const { fake, events } = slowInspect(true, true);
    await new ImagePuller(fake, 'default', undefined, silentLogger()).ensure('img:1');
    assert.deepEqual(events, ['pull', 'inspect answered']);
  });

  it('default: a failed pull of an image that is not cached fails the step', async () => {
    const { fake } = slowInspect(false, true);
    await assert.rejects(new ImagePuller(fake, 'default', undefined, silentLogger()).ensure('img:1'), { name: 'ImagePullError', message: /no such host/ });
  });

  it('prefer-cached still asks the cache first, and does not pull a cached image', async () => {
    const { fake, events, answer } = slowInspect(true, false);
    const done = new ImagePuller(fake, 'prefer-cached', undefined, silentLogger()).ensure('img:1');
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(events, [], 'no pull while the inspect is pending');
    answer();
    await done;
    assert.deepEqual(events, ['inspect answered']);
  });
});
