import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskAssignment } from '@stevedore/core';
import { assignment } from '../testing/builders';
import { FakeContainerController } from '../testing/fake-container-controller';
import { silentLogger } from '../logger';
import { ImagePuller } from './image-puller';
import { startWorkerRig, stopWorkerRigs } from '../testing/worker-rig';
import { waitFor } from '../testing/wait-for';
import { TaskEndpointUnavailable, type EndpointGrant } from './endpoint-grant';

// A container's endpoint grant (MAC, iptables rules, task role credentials)
// is begun while its image is pulled, so the rules are off the start path;
// the create step still waits for it and fails with its error.

afterEach(stopWorkerRigs);

/** Pulls that wait for `open()`, over the fake's real pull behaviour. */
function gatedPuller(fake: FakeContainerController) {
  const inner = new ImagePuller(fake, 'default', undefined, silentLogger());
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let pulling = 0;
  return {
    images: { ensure: async (image: string) => { pulling++; await gate; return inner.ensure(image); } },
    open: () => open(),
    pulling: () => pulling,
  };
}

/** An endpoint whose grants and releases are recorded, in order, with what was happening. */
function recordingEndpoint(fake: FakeContainerController, grant: (spec: TaskAssignment) => Promise<EndpointGrant>) {
  const events: string[] = [];
  return {
    events,
    endpoint: {
      prepare: async (spec: TaskAssignment) => {
        events.push(`prepare (containers created: ${fake.containers.size})`);
        const g = await grant(spec);
        events.push('granted');
        return g;
      },
      preparePause: async () => ({ environment: [], labels: {} }),
      release: async () => void events.push('release'),
    },
  };
}

describe('endpoint grants begun during the pull', () => {
  it('the grant is made while the image is pulled, and the container is created with it', async () => {
    const fake = new FakeContainerController();
    const pull = gatedPuller(fake);
    const rec = recordingEndpoint(fake, async () => ({ environment: [{ name: 'ECS_CONTAINER_METADATA_URI_V4', value: 'http://169.254.170.2/v4/x' }], labels: { 'stevedore.endpoint-mac': '02:00:00:00:00:01' }, macAddress: '02:00:00:00:00:01' }));
    const { worker, until } = await startWorkerRig({ fake, images: pull.images, endpoint: rec.endpoint });
    const a = assignment();
    worker.assign([a]);
    await waitFor('pull begun', () => pull.pulling() > 0 || undefined);
    await waitFor('grant made', () => rec.events.includes('granted') || undefined);
    assert.deepEqual(rec.events, ['prepare (containers created: 0)', 'granted'], 'granted before the pull ended (it is still held)');
    pull.open();
    await until(a, 'RUNNING');
    const [c] = [...fake.containers.values()];
    assert.equal(c!.request.macAddress, '02:00:00:00:00:01');
    assert.ok(c!.request.agentEnvironment?.some((e) => e.name === 'ECS_CONTAINER_METADATA_URI_V4'));
    assert.equal(rec.events.filter((e) => e.startsWith('prepare')).length, 1, 'one grant per container');
  });

  it('a refused grant fails the container at create, as before, after its pull', async () => {
    const fake = new FakeContainerController();
    const rec = recordingEndpoint(fake, async () => {
      throw new TaskEndpointUnavailable('unable to get credentials for the task role arn:aws:iam::000000000000:role/r: denied');
    });
    const { worker, until } = await startWorkerRig({ fake, endpoint: rec.endpoint });
    const a = assignment();
    worker.assign([a]);
    const r = await until(a, 'STOPPED');
    assert.equal(fake.containers.size, 0);
    assert.match(r!.containers[0]!.reason ?? '', /^ResourceInitializationError: unable to get credentials for the task role/);
  });

  it('a task stopped during its pull releases its endpoint only after the grant begun for it is made', async () => {
    const fake = new FakeContainerController();
    const pull = gatedPuller(fake);
    let grant!: () => void;
    const rec = recordingEndpoint(fake, () => new Promise<EndpointGrant>((r) => (grant = () => r({ environment: [], labels: {}, macAddress: '02:00:00:00:00:02' }))));
    const { worker, until } = await startWorkerRig({ fake, images: pull.images, endpoint: rec.endpoint });
    const a = assignment();
    worker.assign([a]);
    await waitFor('grant begun', () => rec.events.length > 0 || undefined);
    worker.assign([{ ...a, version: a.version + 1, desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'stopped' }]);
    pull.open();
    await until(a, 'STOPPED');
    assert.deepEqual(rec.events, ['prepare (containers created: 0)'], 'no release while the grant is being made');
    grant();
    await waitFor('released', () => rec.events.includes('release') || undefined);
    assert.deepEqual(rec.events, ['prepare (containers created: 0)', 'granted', 'release']);
    assert.equal(fake.containers.size, 0);
  });
});
