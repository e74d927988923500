import { isIP } from 'node:net';
import { randomUUID } from 'node:crypto';
import { idOf, StevedoreError, validationError, type RegisteredTarget, type TargetGroup } from '@stevedore/core';
import type { ApiContext } from '../context';
import { Params } from '../params';
import { targetHealthJson } from '../elb-json';
import { LoadBalancingView } from '../../store/load-balancing-view';
import { elbAction, requireTargetGroup } from './elb-input';

interface TargetRef {
  id: string;
  port: number;
}

/** `Targets: [{Id, Port?}]`: a container instance (id or ARN) or an IPv4 address, by target type. */
function readTargets(ctx: ApiContext, p: Params, tg: TargetGroup, mustExist: boolean): TargetRef[] {
  const raw = p.list('Targets', { max: 1000 });
  if (!raw || raw.length === 0) throw validationError('Targets must contain at least one target.', 'Targets');
  return raw.map((x, i) => {
    const t = Params.of(x);
    const rawId = t.requiredString('Id', { max: 2048 });
    const port = t.integer('Port', { min: 1, max: 65535 }) ?? tg.port;
    if (tg.targetType === 'ip') {
      if (isIP(rawId) !== 4) throw new StevedoreError('InvalidTargetException', `The IP address '${rawId}' is not a valid IPv4 address`, { field: `Targets[${i}].Id` });
      return { id: rawId, port };
    }
    const id = idOf(rawId);
    if (mustExist) {
      const inst = ctx.store.instances.get(id);
      if (!inst || inst.status === 'INACTIVE') {
        throw new StevedoreError('InvalidTargetException', `The following targets are not valid container instances: '${rawId}'`, { field: `Targets[${i}].Id` });
      }
    }
    return { id, port };
  });
}

/** RegisterTargets (manual targets; services register their tasks themselves). Registering a registered target is a no-op. */
export const registerTargets = elbAction((ctx, p) =>
  ctx.store.tx(() => {
    const tg = requireTargetGroup(ctx, p);
    const now = ctx.clock.now();
    for (const ref of readTargets(ctx, p, tg, true)) {
      const existing = ctx.store.targets.get(tg.arn, ref.id, ref.port);
      if (existing && existing.state === 'registered') continue;
      ctx.store.targets.put({ targetGroupArn: tg.arn, id: ref.id, port: ref.port, registrationId: randomUUID(), state: 'registered', registeredAt: now });
    }
    return {};
  }),
);

/**
 * DeregisterTargets: the target drains for the deregistration delay (in-flight
 * requests finish, no new ones arrive), then the load balancer role removes it.
 */
export const deregisterTargets = elbAction((ctx, p) =>
  ctx.store.tx(() => {
    const tg = requireTargetGroup(ctx, p);
    const now = ctx.clock.now();
    const refs = readTargets(ctx, p, tg, false);
    const missing = refs.filter((r) => !ctx.store.targets.get(tg.arn, r.id, r.port));
    if (missing.length > 0) {
      throw new StevedoreError('InvalidTargetException', `The following targets are not registered in target group '${tg.name}': ${missing.map((m) => `'${m.id}:${m.port}'`).join(', ')}`, { field: 'Targets' });
    }
    for (const ref of refs) {
      const t = ctx.store.targets.get(tg.arn, ref.id, ref.port)!;
      if (t.state === 'draining') continue;
      const delay = tg.attributes.deregistrationDelaySeconds * 1000;
      if (delay === 0) ctx.store.targets.delete(t);
      else ctx.store.targets.put({ ...t, state: 'draining', drainingSince: now, drainingUntil: now + delay });
    }
    return {};
  }),
);

/** DescribeTargetHealth: every target of the group, or the ones asked for (unregistered ones as `unused`/Target.NotRegistered). */
export const describeTargetHealth = elbAction((ctx, p) => {
  const tg = requireTargetGroup(ctx, p);
  const view = new LoadBalancingView(ctx.store);
  const all = ctx.store.targets.targetsOf(tg.arn);
  const port = String(tg.healthCheck.port);
  if (!p.has('Targets')) return { TargetHealthDescriptions: all.map((t) => targetHealthJson(t, view.health(t), port)) };
  const asked = readTargets(ctx, p, tg, false);
  return {
    TargetHealthDescriptions: asked.map((ref) => {
      const t = all.find((x) => x.id === ref.id && x.port === ref.port);
      if (t) return targetHealthJson(t, view.health(t), port);
      const ghost: RegisteredTarget = { targetGroupArn: tg.arn, id: ref.id, port: ref.port, registrationId: '', state: 'registered', registeredAt: 0 };
      return targetHealthJson(ghost, { state: 'unused', reason: 'Target.NotRegistered', description: 'Target is not registered to the target group' }, port);
    }),
  };
});
