import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { reconcileService } from '../service/reconcile-service';
import { DEPLOYMENT, input, instance, service, task } from '../service/test-builders';
import type { ServiceTask } from '../service/service-view';
import type { DeploymentRollout, Service } from '../model/service';
import { circuitBreakerThreshold, isBreakerFailure } from './circuit-breaker';
import { rolledBackService, rolloutReason } from './rollout';
import { taskHealth } from './task-health';

const T0 = 10_000_000;
const OLD_TD = 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1';
const NEW_TD = 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:2';
const NEXT = 'ecs-svc/2222222222222222222';

/** How the simulated agents treat the tasks of a revision. */
type Behaviour = 'healthy' | 'fails-to-start' | 'crashes-after-start' | 'unhealthy' | 'never-proven';

/**
 * A service, its tasks and time: `tick()` runs the pure reconcile and
 * applies its answer as the orchestrator does (stops, placements, rollout
 * records, rollback); `agents()` moves tasks on as the revision behaves.
 */
class World {
  tasks: ServiceTask[];
  rollouts: Record<string, DeploymentRollout>;
  events: string[] = [];
  now = T0;
  private ids = 0;
  readonly rolloutSeen: string[] = [];

  constructor(
    public svc: Service,
    oldCount: number,
    readonly behaviour: Record<string, Behaviour>,
    readonly opts: { timeoutMs?: number; healthyAfterRunningMs?: number; oldHealth?: 'HEALTHY' | 'UNKNOWN' } = {},
  ) {
    const healthStatus = opts.oldHealth ?? 'HEALTHY';
    this.tasks = Array.from({ length: oldCount }, (_, i) => task(i % 2 ? 'a' : 'b', { hasHealthCheck: true, healthStatus, startedAt: T0, startedBy: DEPLOYMENT }));
    this.rollouts = { [DEPLOYMENT]: { rolloutState: 'COMPLETED', rolloutStateReason: rolloutReason.completed(DEPLOYMENT), updatedAt: 0, failedTasks: 0 } };
  }

  tick() {
    const r = reconcileService(
      input(this.svc, [instance('a', {}, 'za'), instance('b', {}, 'zb')], this.tasks, {
        now: this.now,
        rollouts: this.rollouts,
        deployment: { timeoutMs: this.opts.timeoutMs ?? 600_000, healthyAfterRunningMs: this.opts.healthyAfterRunningMs ?? 5000, newDeploymentId: () => `ecs-svc/${String(++this.ids).padStart(19, '9')}` },
      }),
    );
    const stopped = new Map(r.stop.map((s) => [s.taskId, s.reason]));
    this.tasks = this.tasks.map((t) => (stopped.has(t.id) ? { ...t, desiredStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated', stoppedReason: stopped.get(t.id)! } : t));
    for (const p of r.place) {
      const d = this.svc.deployments.find((x) => x.id === p.deploymentId)!;
      const placed = task(p.instanceId, { lastStatus: 'PENDING', createdAt: this.now, startedBy: p.deploymentId, hasHealthCheck: true, healthStatus: 'UNKNOWN', tdArn: d.taskDefinitionArn } as Partial<ServiceTask>);
      delete (placed as Partial<ServiceTask>).startedAt;
      this.tasks.push(placed);
    }
    this.events.push(...r.events);
    if (r.rollouts) this.rollouts = r.rollouts;
    if (r.rollback) this.svc = rolledBackService(this.svc, r.rollback, this.now);
    for (const [id, ro] of Object.entries(this.rollouts)) this.rolloutSeen.push(`${id} ${ro.rolloutState}`);
    return r;
  }

  /** One second of agents: stops happen, pending tasks start, checks settle, as each revision behaves. */
  agents() {
    this.now += 1000;
    this.tasks = this.tasks.map((t) => {
      if (t.lastStatus === 'STOPPED') return t;
      if (t.desiredStatus === 'STOPPED') return { ...t, lastStatus: 'STOPPED', stoppedAt: this.now };
      const b = this.behaviour[(t as ServiceTask & { tdArn?: string }).tdArn ?? OLD_TD] ?? 'healthy';
      if (t.lastStatus === 'PENDING') {
        if (b === 'fails-to-start') return { ...t, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'TaskFailedToStart', stoppedAt: this.now };
        return { ...t, lastStatus: 'RUNNING', startedAt: this.now };
      }
      if (b === 'crashes-after-start') return { ...t, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedAt: this.now };
      // never-proven: checks stay UNKNOWN (a long startPeriod, a target stuck in `initial`).
      if (t.healthStatus === 'UNKNOWN' && b !== 'never-proven') return { ...t, healthStatus: b === 'unhealthy' ? 'UNHEALTHY' : 'HEALTHY' };
      return t;
    });
  }

  run(rounds: number, check: () => void = () => undefined) {
    for (let i = 0; i < rounds; i++) {
      this.tick();
      check();
      this.agents();
    }
  }

  state(id: string) {
    return this.rollouts[id]?.rolloutState;
  }
}


function updated(over: Partial<Service['deploymentConfiguration']> = {}, desiredCount = 4): Service {
  const base = service({ desiredCount });
  return {
    ...base,
    taskDefinitionArn: NEW_TD,
    deploymentConfiguration: { ...base.deploymentConfiguration, ...over },
    updatedAt: T0,
    deployments: [
      { id: NEXT, status: 'PRIMARY', taskDefinitionArn: NEW_TD, createdAt: T0 },
      { id: DEPLOYMENT, status: 'ACTIVE', taskDefinitionArn: OLD_TD, createdAt: 0 },
    ],
  };
}

const alive = (w: World) => w.tasks.filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED');
const healthyCount = (w: World) => alive(w).filter((t) => taskHealth(t, { now: w.now, graceMs: 0, healthyAfterRunningMs: 5000 }).healthy).length;

test('a rolling update at 100/200 keeps the floor, completes, and says so in ECS words in order', () => {
  const w = new World(updated(), 4, { [NEW_TD]: 'healthy' });
  w.run(8, () => {
    assert.ok(healthyCount(w) >= 4, 'floor');
    assert.ok(alive(w).length <= 8, 'ceiling');
  });
  assert.equal(w.state(NEXT), 'COMPLETED');
  assert.equal(w.rollouts[NEXT]!.rolloutStateReason, `ECS deployment ${NEXT} completed.`);
  assert.ok(alive(w).every((t) => t.startedBy === NEXT) && alive(w).length === 4);
  const ours = w.events.filter((e, i) => /deployment|steady/.test(e) && e !== w.events[i - 1]);
  assert.deepEqual(ours, [
    `(service web) (deployment ${NEXT}) deployment started with task definition web:2.`,
    `(service web) (deployment ${NEXT}) deployment completed.`,
    '(service web) has reached a steady state.',
  ]);
  const stops = w.tasks.filter((t) => t.startedBy === DEPLOYMENT);
  assert.ok(stops.every((t) => t.stopCode === 'ServiceSchedulerInitiated' && t.stoppedReason === `Scaling activity initiated by (deployment ${NEXT})`));
});

test('minimum 0 / maximum 100 replaces in place: stop all, then start all', () => {
  const w = new World(updated({ minimumHealthyPercent: 0, maximumPercent: 100 }), 4, { [NEW_TD]: 'healthy' });
  const first = w.tick();
  assert.equal(first.stop.length, 4);
  w.agents();
  w.run(6, () => assert.ok(alive(w).length <= 4));
  assert.equal(w.state(NEXT), 'COMPLETED');
});

test('circuit breaker: tasks that fail to start trip it at the ECS threshold and roll back to the last COMPLETED deployment', () => {
  const w = new World(updated({ deploymentCircuitBreaker: { enable: true, rollback: true } }), 4, { [NEW_TD]: 'fails-to-start' });
  w.run(12);
  assert.equal(w.state(NEXT), 'FAILED');
  assert.equal(w.rollouts[NEXT]!.rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
  const failed = w.rollouts[NEXT]!.failedTasks;
  assert.ok(failed >= 10 && failed < 10 + 4, `tripped in the round that reached the threshold (${failed})`);
  assert.equal(w.tasks.filter((t) => t.startedBy === NEXT).length, failed, 'the FAILED deployment launched no more');
  const primary = w.svc.deployments[0]!;
  assert.notEqual(primary.id, NEXT);
  assert.equal(primary.taskDefinitionArn, OLD_TD);
  assert.equal(w.svc.taskDefinitionArn, OLD_TD);
  assert.equal(w.state(primary.id), 'COMPLETED', 'the old tasks were adopted: nothing to replace');
  assert.ok(w.rolloutSeen.includes(`${primary.id} IN_PROGRESS`));
  assert.ok(w.tasks.filter((t) => t.startedBy === DEPLOYMENT).every((t) => t.desiredStatus === 'RUNNING'), 'old tasks never stopped (min 100)');
  assert.ok(w.events.includes(`(service web) (deployment ${NEXT}) deployment failed: tasks failed to start.`));
  assert.ok(w.events.includes(`(service web) (deployment ${primary.id}) rolling back to deployment ${DEPLOYMENT} (task definition web:1).`));
  assert.equal(w.events.filter((e) => /is unable to consistently start tasks/.test(e)).length, 0, 'no throttle while the breaker watches');
});

test('circuit breaker: the rollback deployment shows the ECS rolling-back reason while in progress', () => {
  const w = new World(updated({ minimumHealthyPercent: 0, maximumPercent: 100, deploymentCircuitBreaker: { enable: true, rollback: true } }), 4, { [NEW_TD]: 'unhealthy' });
  let reason = '';
  w.run(30, () => {
    const p = w.svc.deployments[0]!;
    if (p.id !== NEXT && w.state(p.id) === 'IN_PROGRESS') reason = w.rollouts[p.id]!.rolloutStateReason;
  });
  assert.equal(w.state(NEXT), 'FAILED');
  assert.equal(reason, `ECS deployment circuit breaker: rolling back to deploymentId ${DEPLOYMENT}.`);
  assert.equal(w.state(w.svc.deployments[0]!.id), 'COMPLETED', 'rolled back with fresh tasks of web:1');
  assert.equal(alive(w).length, 4);
  assert.ok(w.tasks.some((t) => t.stoppedReason === 'Task failed container health checks'), 'unhealthy tasks were replaced');
});

test('circuit breaker: tasks that start then crash count too; without rollback the deployment FAILS and launches nothing more', () => {
  const w = new World(updated({ deploymentCircuitBreaker: { enable: true, rollback: false } }), 4, { [NEW_TD]: 'crashes-after-start' });
  w.run(20);
  assert.equal(w.state(NEXT), 'FAILED');
  assert.equal(w.svc.deployments[0]!.id, NEXT, 'no rollback');
  const launched = w.tasks.filter((t) => t.startedBy === NEXT).length;
  w.run(5);
  assert.equal(w.tasks.filter((t) => t.startedBy === NEXT).length, launched);
  assert.equal(alive(w).filter((t) => t.startedBy === DEPLOYMENT).length, 4, 'old tasks keep serving');
  assert.ok(!w.events.includes('(service web) has reached a steady state.'));
});

test('deployment timeout: no progress fails the deployment with a reason (and the breaker rollback applies)', () => {
  // min = max = 100: nothing can move, the ECS event says why, the timeout ends it.
  const w = new World(updated({ minimumHealthyPercent: 100, maximumPercent: 100, deploymentCircuitBreaker: { enable: false, rollback: true } }), 4, {}, { timeoutMs: 10_000 });
  w.run(15);
  assert.equal(w.state(NEXT), 'FAILED');
  assert.equal(w.rollouts[NEXT]!.rolloutStateReason, `ECS deployment ${NEXT} failed: no progress within 10 seconds (deployment timeout).`);
  assert.ok(w.events.some((e) => /was unable to stop or start tasks during a deployment because of the service deployment configuration\. Update the minimumHealthyPercent or maximumPercent value and try again\.$/.test(e)));
  assert.equal(w.svc.deployments[0]!.restores, DEPLOYMENT);
});

test('deployment timeout counts from the control plane start, not across its downtime', () => {
  const s = updated({ minimumHealthyPercent: 100, maximumPercent: 100 });
  const tasks = [task('a', { startedAt: 1 }), task('b', { startedAt: 1 })];
  const rollouts = { [NEXT]: { rolloutState: 'IN_PROGRESS' as const, rolloutStateReason: '', updatedAt: T0, failedTasks: 0, progress: { healthy: 0, old: 2, at: T0 } } };
  const late = T0 + 3_600_000;
  const r = reconcileService(input(s, [instance('a'), instance('b')], tasks, { now: late, rollouts, deployment: { timeoutMs: 60_000, progressSince: late - 1000 } }));
  assert.equal(r.rollouts![NEXT]!.rolloutState, 'IN_PROGRESS');
  assert.equal(r.nextWakeAt, late - 1000 + 60_000);
  const r2 = reconcileService(input(s, [instance('a'), instance('b')], tasks, { now: late, rollouts, deployment: { timeoutMs: 60_000 } }));
  assert.equal(r2.rollouts![NEXT]!.rolloutState, 'FAILED');
});

test('healthCheckGracePeriodSeconds: an UNHEALTHY task is neither replaced nor counted as failed within the grace', () => {
  const s = { ...updated({ deploymentCircuitBreaker: { enable: true, rollback: false } }), healthCheckGracePeriodSeconds: 30 };
  const sick = task('a', { startedBy: NEXT, hasHealthCheck: true, healthStatus: 'UNHEALTHY', startedAt: T0 });
  const rollouts = {};
  const within = reconcileService(input(s, [instance('a')], [sick], { now: T0 + 10_000, rollouts }));
  assert.equal(within.stop.length, 0);
  assert.equal(within.rollouts![NEXT]!.failedTasks, 0);
  assert.equal(within.nextWakeAt, T0 + 30_000);
  const after = reconcileService(input(s, [instance('a')], [sick], { now: T0 + 30_000, rollouts }));
  assert.deepEqual(after.stop.map((x) => x.reason), ['Task failed container health checks']);
  assert.equal(after.rollouts![NEXT]!.failedTasks, 1);
});

test('a task without health checks counts as healthy only after healthyAfterRunningMs', () => {
  const ctx = { now: T0, graceMs: 0, healthyAfterRunningMs: 5000 };
  assert.deepEqual(taskHealth(task('a', { startedAt: T0 - 1000 }), ctx), { healthy: false, failing: false, unproven: true, wakeAt: T0 + 4000 });
  assert.deepEqual(taskHealth(task('a', { startedAt: T0 - 5000 }), ctx), { healthy: true, failing: false, unproven: false });
  // Load balancer targets decide for check-less tasks, at once.
  assert.equal(taskHealth(task('a', { startedAt: T0, targetHealth: 'HEALTHY' }), ctx).healthy, true);
  assert.equal(taskHealth(task('a', { startedAt: T0, hasHealthCheck: true, healthStatus: 'HEALTHY', targetHealth: 'UNKNOWN' }), ctx).healthy, false);
  assert.equal(taskHealth(task('a', { startedAt: T0 - 99_000, targetHealth: 'UNHEALTHY' }), ctx).failing, true);
  assert.equal(taskHealth(task('a', { lastStatus: 'PENDING' }), ctx).healthy, false);
});

test('unproven is not unhealthy: which RUNNING tasks are on their way, which failed', () => {
  const ctx = { now: T0, graceMs: 30_000, healthyAfterRunningMs: 5000 };
  const h = (over: Partial<ServiceTask>) => {
    const r = taskHealth(task('a', { startedAt: T0 - 1000, ...over }), ctx);
    return r.healthy ? 'healthy' : r.failing ? 'failing' : r.unproven ? 'unproven' : 'down';
  };
  assert.equal(h({}), 'unproven', 'warm-up');
  assert.equal(h({ hasHealthCheck: true, healthStatus: 'UNKNOWN' }), 'unproven', 'container checks not settled (startPeriod, first probe)');
  assert.equal(h({ hasHealthCheck: true, healthStatus: 'UNKNOWN', startedAt: T0 - 99_000 }), 'unproven', 'still UNKNOWN after the grace: not a failure');
  assert.equal(h({ targetHealth: 'UNKNOWN' }), 'unproven', 'load balancer target initial');
  assert.equal(h({ hasHealthCheck: true, healthStatus: 'HEALTHY', targetHealth: 'UNKNOWN' }), 'unproven');
  assert.equal(h({ hasHealthCheck: true, healthStatus: 'UNHEALTHY' }), 'down', 'a check failed: within the grace not replaced, but not protected either');
  assert.equal(h({ targetHealth: 'UNHEALTHY' }), 'down');
  assert.equal(h({ hasHealthCheck: true, healthStatus: 'UNHEALTHY', startedAt: T0 - 99_000 }), 'failing');
  assert.equal(h({ lastStatus: 'PENDING' }), 'down');
  assert.equal(h({ desiredStatus: 'STOPPED' }), 'down');
  assert.equal(h({ hasHealthCheck: true, healthStatus: 'HEALTHY' }), 'healthy');
});

/** Tasks RUNNING and wanted: what serves (old and new, proven or not). */
const runningCount = (w: World) => w.tasks.filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus === 'RUNNING').length;

test('a deployment on top of an IN_PROGRESS one (10 old tasks RUNNING, none proven, 100/120) never stops them all at once', () => {
  // The old revision's checks never settle: only healthy replacements may retire them.
  const w = new World(updated({ minimumHealthyPercent: 100, maximumPercent: 120 }, 10), 10, { [OLD_TD]: 'never-proven', [NEW_TD]: 'healthy' }, { oldHealth: 'UNKNOWN' });
  w.rollouts = { [DEPLOYMENT]: { rolloutState: 'IN_PROGRESS', rolloutStateReason: rolloutReason.inProgress(DEPLOYMENT), updatedAt: T0, failedTasks: 0 } };
  const first = w.tick();
  assert.deepEqual([first.stop.length, first.place.length], [0, 2]);
  w.agents();
  w.run(40, () => {
    assert.ok(runningCount(w) >= 10, `${runningCount(w)} RUNNING`);
    assert.ok(w.tasks.filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED').length <= 12, 'ceiling');
  });
  assert.equal(w.state(NEXT), 'COMPLETED');
  assert.equal(w.tasks.filter((t) => t.desiredStatus === 'RUNNING' && t.startedBy === NEXT).length, 10);
});

test('reconcileService: 10 old tasks in warm-up, with checks UNKNOWN, or with targets initial are kept; failed ones go at once', () => {
  const svc = updated({ minimumHealthyPercent: 100, maximumPercent: 120 }, 10);
  const old = (over: Partial<ServiceTask>) => Array.from({ length: 10 }, (_, i) => task(i % 2 ? 'a' : 'b', { startedAt: T0 - 1000, startedBy: DEPLOYMENT, ...over }));
  const decide = (tasks: ServiceTask[]) => {
    const r = reconcileService(input(svc, [instance('a', {}, 'za'), instance('b', {}, 'zb')], tasks, { now: T0, deployment: { healthyAfterRunningMs: 5000 } }));
    return { stop: r.stop.map((x) => x.reason), place: r.place.length };
  };
  assert.deepEqual(decide(old({})), { stop: [], place: 2 }, 'warm-up');
  assert.deepEqual(decide(old({ hasHealthCheck: true, healthStatus: 'UNKNOWN' })), { stop: [], place: 2 }, 'first probe / startPeriod');
  assert.deepEqual(decide(old({ targetHealth: 'UNKNOWN' })), { stop: [], place: 2 }, 'target initial');
  // Three failed their checks long ago: they go ahead of the floor, five start (12 - 7).
  const tasks = old({ hasHealthCheck: true, healthStatus: 'UNKNOWN' });
  for (let i = 0; i < 3; i++) tasks[i] = { ...tasks[i]!, healthStatus: 'UNHEALTHY', startedAt: T0 - 99_000 };
  assert.deepEqual(decide(tasks), { stop: Array(3).fill('Task failed container health checks'), place: 5 });
});

test('a bad revision on top of an IN_PROGRESS deployment: the breaker trips and the unproven old tasks keep running', () => {
  const svc = updated({ minimumHealthyPercent: 100, maximumPercent: 120, deploymentCircuitBreaker: { enable: true, rollback: true } }, 10);
  const w = new World(svc, 10, { [OLD_TD]: 'never-proven', [NEW_TD]: 'fails-to-start' }, { oldHealth: 'UNKNOWN' });
  w.rollouts = { [DEPLOYMENT]: { rolloutState: 'IN_PROGRESS', rolloutStateReason: rolloutReason.inProgress(DEPLOYMENT), updatedAt: T0, failedTasks: 0 } };
  const old = new Set(w.tasks.map((t) => t.id));
  w.run(30);
  assert.equal(w.state(NEXT), 'FAILED');
  // Nothing COMPLETED to roll back to: ECS's "not rolled back", and the old tasks stay as they are.
  assert.ok(w.events.some((e) => e.includes('not rolled back: no COMPLETED deployment to roll back to.')), w.events.join('\n'));
  assert.deepEqual(w.tasks.filter((t) => t.desiredStatus === 'RUNNING').map((t) => t.id).sort(), [...old].sort());
});

test('property: over simulated rollouts on top of proven or unproven old tasks, RUNNING never drops below the floor and the rollout completes', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 10 }),
      fc.constantFrom(0, 50, 100),
      fc.constantFrom(100, 120, 150, 200),
      fc.constantFrom<Behaviour>('healthy', 'never-proven'),
      (desired, min, max, oldBehaviour) => {
        fc.pre(!(desired - 1 < Math.ceil((desired * min) / 100) && Math.floor((desired * max) / 100) <= desired));
        const w = new World(updated({ minimumHealthyPercent: min, maximumPercent: max }, desired), desired, { [OLD_TD]: oldBehaviour, [NEW_TD]: 'healthy' }, { oldHealth: 'UNKNOWN' });
        const floor = Math.ceil((desired * min) / 100);
        w.run(4 * desired + 10, () => assert.ok(runningCount(w) >= floor, `${runningCount(w)} RUNNING < ${floor}`));
        assert.equal(w.state(NEXT), 'COMPLETED');
      },
    ),
    { numRuns: 150 },
  );
});

test('circuit breaker threshold and what counts as a failure', () => {
  assert.deepEqual([1, 4, 20, 25, 400, 800].map(circuitBreakerThreshold), [10, 10, 10, 13, 200, 200]);
  assert.equal(isBreakerFailure({ stopCode: 'TaskFailedToStart' }), true);
  assert.equal(isBreakerFailure({ stopCode: 'EssentialContainerExited' }), true);
  assert.equal(isBreakerFailure({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task failed container health checks' }), true);
  assert.equal(isBreakerFailure({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task failed ELB health checks in (target-group x)' }), true);
  assert.equal(isBreakerFailure({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1)' }), false);
  assert.equal(isBreakerFailure({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task lost: container instance x disconnected' }), false);
  assert.equal(isBreakerFailure({ stopCode: 'UserInitiated' }), false);
});

test('property: over whole simulated rollouts the floor and the ceiling hold and every healthy revision completes', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10 }), fc.constantFrom(0, 50, 100), fc.constantFrom(100, 150, 200), (desired, min, max) => {
      fc.pre(!(desired - 1 < Math.ceil((desired * min) / 100) && Math.floor((desired * max) / 100) <= desired));
      const w = new World(updated({ minimumHealthyPercent: min, maximumPercent: max }, desired), desired, { [NEW_TD]: 'healthy' });
      const floor = Math.ceil((desired * min) / 100);
      const ceiling = Math.max(desired, Math.floor((desired * max) / 100));
      w.run(4 * desired + 10, () => {
        const wanted = w.tasks.filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED');
        assert.ok(wanted.length <= ceiling, `${wanted.length} > ${ceiling}`);
        assert.ok(healthyCount(w) >= floor, `${healthyCount(w)} < ${floor}`);
      });
      assert.equal(w.state(NEXT), 'COMPLETED');
    }),
    { numRuns: 150 },
  );
});
