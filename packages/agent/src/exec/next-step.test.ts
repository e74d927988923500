import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerDependency } from '@stevedore/core';
import { checkDependency, impliedDependencies, nextStep, type ContainerView, type Step, type TaskView } from './next-step';

const NOW = 1_000_000;

function c(name: string, over: Partial<ContainerView> = {}): ContainerView {
  return {
    name,
    essential: true,
    known: 'NONE',
    applied: 'NONE',
    hasRuntime: false,
    health: 'UNKNOWN',
    hasHealthCheck: false,
    dependsOn: [],
    createAfter: [],
    ...over,
  };
}
const running = (name: string, over: Partial<ContainerView> = {}) =>
  c(name, { known: 'RUNNING', applied: 'RUNNING', hasRuntime: true, startedAt: NOW - 5000, ...over });
const stopped = (name: string, exitCode: number | undefined, over: Partial<ContainerView> = {}) =>
  c(name, { known: 'STOPPED', applied: 'STOPPED', hasRuntime: true, startedAt: NOW - 5000, ...(exitCode === undefined ? {} : { exitCode }), ...over });
const created = (name: string, over: Partial<ContainerView> = {}) => c(name, { known: 'CREATED', applied: 'CREATED', hasRuntime: true, ...over });
const dep = (containerName: string, condition: ContainerDependency['condition']): ContainerDependency => ({ containerName, condition });

function task(desired: 'RUNNING' | 'STOPPED', ...containers: ContainerView[]): TaskView {
  return { desired, containers: new Map(containers.map((x) => [x.name, x])) };
}

interface Row {
  name: string;
  task: TaskView;
  container: string;
  expect: Step['step'];
  blockedOn?: string;
  reason?: RegExp;
  recheckAt?: number;
}

const app = (over: Partial<ContainerView> = {}) => created('app', over);

const rows: Row[] = [
  // Start path.
  { name: 'fresh container pulls', task: task('RUNNING', c('app')), container: 'app', expect: 'pull' },
  { name: 'pull in flight: nothing', task: task('RUNNING', c('app', { applied: 'PULLED' })), container: 'app', expect: 'none' },
  { name: 'pulled creates', task: task('RUNNING', c('app', { known: 'PULLED', applied: 'PULLED' })), container: 'app', expect: 'create' },
  { name: 'create in flight: nothing', task: task('RUNNING', c('app', { known: 'PULLED', applied: 'CREATED' })), container: 'app', expect: 'none' },
  { name: 'created without deps starts', task: task('RUNNING', app()), container: 'app', expect: 'start' },
  { name: 'start in flight: nothing', task: task('RUNNING', app({ applied: 'RUNNING' })), container: 'app', expect: 'none' },
  { name: 'running is steady', task: task('RUNNING', running('app')), container: 'app', expect: 'none' },
  { name: 'stopped is final, never restarted', task: task('RUNNING', stopped('app', 0)), container: 'app', expect: 'none' },

  // Create ordering for links / volumesFrom.
  {
    name: 'link target not created yet: wait',
    task: task('RUNNING', c('web', { known: 'PULLED', applied: 'PULLED', createAfter: ['db'] }), c('db', { applied: 'PULLED' })),
    container: 'web', expect: 'wait', blockedOn: 'db',
  },
  {
    name: 'link target created: create',
    task: task('RUNNING', c('web', { known: 'PULLED', applied: 'PULLED', createAfter: ['db'] }), created('db')),
    container: 'web', expect: 'create',
  },
  {
    name: 'link target stopped without runtime: fail',
    task: task('RUNNING', c('web', { known: 'PULLED', applied: 'PULLED', createAfter: ['db'] }), c('db', { known: 'STOPPED', applied: 'STOPPED' })),
    container: 'web', expect: 'fail', reason: /never created/,
  },
  {
    name: 'link target missing from task: fail',
    task: task('RUNNING', c('web', { known: 'PULLED', applied: 'PULLED', createAfter: ['ghost'] })),
    container: 'web', expect: 'fail', reason: /not in the task/,
  },

  // START
  { name: 'START: dep created only: wait', task: task('RUNNING', app({ dependsOn: [dep('db', 'START')] }), created('db')), container: 'app', expect: 'wait', blockedOn: 'db' },
  { name: 'START: dep running: start', task: task('RUNNING', app({ dependsOn: [dep('db', 'START')] }), running('db')), container: 'app', expect: 'start' },
  { name: 'START: dep ran and exited: start', task: task('RUNNING', app({ dependsOn: [dep('db', 'START')] }), stopped('db', 1)), container: 'app', expect: 'start' },
  {
    name: 'START: dep failed before starting: fail',
    task: task('RUNNING', app({ dependsOn: [dep('db', 'START')] }), c('db', { known: 'STOPPED', applied: 'STOPPED' })),
    container: 'app', expect: 'fail', reason: /stopped without starting/,
  },
  // COMPLETE
  { name: 'COMPLETE: dep running: wait', task: task('RUNNING', app({ dependsOn: [dep('init', 'COMPLETE')] }), running('init', { essential: false })), container: 'app', expect: 'wait', blockedOn: 'init' },
  { name: 'COMPLETE: dep exited 0: start', task: task('RUNNING', app({ dependsOn: [dep('init', 'COMPLETE')] }), stopped('init', 0)), container: 'app', expect: 'start' },
  { name: 'COMPLETE: dep exited 3: start', task: task('RUNNING', app({ dependsOn: [dep('init', 'COMPLETE')] }), stopped('init', 3)), container: 'app', expect: 'start' },
  // SUCCESS
  { name: 'SUCCESS: dep running: wait', task: task('RUNNING', app({ dependsOn: [dep('init', 'SUCCESS')] }), running('init')), container: 'app', expect: 'wait' },
  { name: 'SUCCESS: dep exited 0: start', task: task('RUNNING', app({ dependsOn: [dep('init', 'SUCCESS')] }), stopped('init', 0)), container: 'app', expect: 'start' },
  {
    name: 'SUCCESS: dep exited 1: fail',
    task: task('RUNNING', app({ dependsOn: [dep('init', 'SUCCESS')] }), stopped('init', 1)),
    container: 'app', expect: 'fail', reason: /exited with code 1/,
  },
  { name: 'SUCCESS: dep not pulled yet: wait', task: task('RUNNING', app({ dependsOn: [dep('init', 'SUCCESS')] }), c('init')), container: 'app', expect: 'wait' },
  // HEALTHY
  { name: 'HEALTHY: dep starting: wait', task: task('RUNNING', app({ dependsOn: [dep('db', 'HEALTHY')] }), running('db', { hasHealthCheck: true })), container: 'app', expect: 'wait' },
  { name: 'HEALTHY: dep unhealthy: keep waiting', task: task('RUNNING', app({ dependsOn: [dep('db', 'HEALTHY')] }), running('db', { hasHealthCheck: true, health: 'UNHEALTHY' })), container: 'app', expect: 'wait' },
  { name: 'HEALTHY: dep healthy: start', task: task('RUNNING', app({ dependsOn: [dep('db', 'HEALTHY')] }), running('db', { hasHealthCheck: true, health: 'HEALTHY' })), container: 'app', expect: 'start' },
  {
    name: 'HEALTHY: dep without check: fail',
    task: task('RUNNING', app({ dependsOn: [dep('db', 'HEALTHY')] }), running('db')),
    container: 'app', expect: 'fail', reason: /no health check/,
  },
  {
    name: 'HEALTHY: dep stopped before healthy: fail',
    task: task('RUNNING', app({ dependsOn: [dep('db', 'HEALTHY')] }), stopped('db', 1, { hasHealthCheck: true })),
    container: 'app', expect: 'fail', reason: /before becoming healthy/,
  },
  // startTimeout
  {
    name: 'startTimeout not reached: wait with recheck time',
    task: task('RUNNING', app({ dependsOn: [dep('db', 'HEALTHY')] }), running('db', { hasHealthCheck: true, startedAt: NOW - 1000, startTimeoutMs: 10_000 })),
    container: 'app', expect: 'wait', recheckAt: NOW + 9000,
  },
  {
    name: 'startTimeout passed: fail',
    task: task('RUNNING', app({ dependsOn: [dep('db', 'HEALTHY')] }), running('db', { hasHealthCheck: true, startedAt: NOW - 11_000, startTimeoutMs: 10_000 })),
    container: 'app', expect: 'fail', reason: /startTimeout of 10s/,
  },
  {
    name: 'several deps: first unmet one blocks',
    task: task('RUNNING', app({ dependsOn: [dep('a', 'START'), dep('b', 'COMPLETE')] }), running('a'), running('b')),
    container: 'app', expect: 'wait', blockedOn: 'b',
  },
  { name: 'dep unknown: fail', task: task('RUNNING', app({ dependsOn: [dep('ghost', 'START')] })), container: 'app', expect: 'fail' },

  // Stop path.
  { name: 'stop a running container', task: task('STOPPED', running('app')), container: 'app', expect: 'stop' },
  { name: 'stop in flight: nothing', task: task('STOPPED', running('app', { applied: 'STOPPED' })), container: 'app', expect: 'none', reason: /stop in progress/ },
  { name: 'never pulled: skip to stopped', task: task('STOPPED', c('app')), container: 'app', expect: 'skipToStopped' },
  { name: 'created, never started: skip to stopped', task: task('STOPPED', app()), container: 'app', expect: 'skipToStopped' },
  { name: 'pull in flight: wait for it first', task: task('STOPPED', c('app', { applied: 'PULLED' })), container: 'app', expect: 'none', reason: /PULLED to finish/ },
  { name: 'start in flight: wait for it first', task: task('STOPPED', app({ applied: 'RUNNING' })), container: 'app', expect: 'none' },
  { name: 'already stopped: nothing', task: task('STOPPED', stopped('app', 0)), container: 'app', expect: 'none' },
  {
    name: 'reverse order: dependency waits for running dependent',
    task: task('STOPPED', running('app', { dependsOn: [dep('proxy', 'START')] }), running('proxy')),
    container: 'proxy', expect: 'wait', blockedOn: 'app',
  },
  {
    name: 'reverse order: dependent is stopped first',
    task: task('STOPPED', running('app', { dependsOn: [dep('proxy', 'START')] }), running('proxy')),
    container: 'app', expect: 'stop',
  },
  {
    name: 'reverse order: dependent stopping still blocks',
    task: task('STOPPED', running('app', { applied: 'STOPPED', dependsOn: [dep('proxy', 'START')] }), running('proxy')),
    container: 'proxy', expect: 'wait', blockedOn: 'app',
  },
  {
    name: 'reverse order: dependent stopped, dependency goes',
    task: task('STOPPED', stopped('app', 143, { dependsOn: [dep('proxy', 'START')] }), running('proxy')),
    container: 'proxy', expect: 'stop',
  },
  {
    name: 'reverse order: dependent never started does not block',
    task: task('STOPPED', app({ dependsOn: [dep('proxy', 'HEALTHY')] }), running('proxy')),
    container: 'proxy', expect: 'stop',
  },
  {
    name: 'reverse order: link implies order',
    task: task('STOPPED', running('web', { createAfter: ['db'] }), running('db')),
    container: 'db', expect: 'wait', blockedOn: 'web',
  },
  {
    name: 'reverse order: dependent with start in flight blocks',
    task: task('STOPPED', app({ applied: 'RUNNING', dependsOn: [dep('proxy', 'START')] }), running('proxy')),
    container: 'proxy', expect: 'wait', blockedOn: 'app',
  },
];

describe('nextStep', () => {
  for (const row of rows) {
    it(row.name, () => {
      const view = row.task.containers.get(row.container)!;
      const step = nextStep(view, row.task, NOW);
      assert.equal(step.step, row.expect, `got ${JSON.stringify(step)}`);
      if (row.blockedOn !== undefined) assert.equal((step as { blockedOn?: string }).blockedOn, row.blockedOn);
      if (row.reason) assert.match(step.reason, row.reason);
      if (row.recheckAt !== undefined) assert.equal((step as { recheckAt?: number }).recheckAt, row.recheckAt);
    });
  }

  it('is pure: same input, same output, input untouched', () => {
    const t = task('RUNNING', app({ dependsOn: [dep('db', 'HEALTHY')] }), running('db', { hasHealthCheck: true }));
    const before = JSON.stringify([...t.containers.values()]);
    const a = nextStep(t.containers.get('app')!, t, NOW);
    const b = nextStep(t.containers.get('app')!, t, NOW);
    assert.deepEqual(a, b);
    assert.equal(JSON.stringify([...t.containers.values()]), before);
  });

  it('a whole stop sequence drains in reverse dependency order', () => {
    // app -> sidecar -> logrouter: stops must go app, sidecar, logrouter.
    const cs = new Map<string, ContainerView>([
      ['logrouter', running('logrouter')],
      ['sidecar', running('sidecar', { dependsOn: [dep('logrouter', 'START')] })],
      ['app', running('app', { dependsOn: [dep('sidecar', 'HEALTHY')], essential: true })],
    ]);
    const order: string[] = [];
    for (let round = 0; round < 5; round++) {
      const t: TaskView = { desired: 'STOPPED', containers: cs };
      for (const v of [...cs.values()]) {
        if (nextStep(v, t, NOW).step === 'stop') {
          order.push(v.name);
          cs.set(v.name, { ...v, known: 'STOPPED', applied: 'STOPPED', exitCode: 143 });
        }
      }
    }
    assert.deepEqual(order, ['app', 'sidecar', 'logrouter']);
  });
});

describe('checkDependency', () => {
  it('reports a missing dependency as final', () => {
    const v = checkDependency(undefined, dep('x', 'START'), NOW);
    assert.equal(v.ok, false);
    assert.equal(!v.ok && v.final, true);
  });
});

describe('impliedDependencies', () => {
  it('adds START for links and volumesFrom without duplicating dependsOn', () => {
    const r = impliedDependencies({
      links: ['db:database', 'cache'],
      volumesFrom: [{ sourceContainer: 'data' }],
      dependsOn: [dep('db', 'HEALTHY')],
    });
    assert.deepEqual(r.createAfter.sort(), ['cache', 'data', 'db']);
    assert.deepEqual(
      r.dependsOn.map((d) => `${d.containerName}:${d.condition}`).sort(),
      ['cache:START', 'data:START', 'db:HEALTHY'],
    );
  });
});
