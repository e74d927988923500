import {
  elbResourceType,
  InvalidParameterException,
  StevedoreError,
  validationError,
  type RuleAction,
  type Listener,
  type ListenerRule,
  type LoadBalancer,
  type RuleCondition,
  type TargetGroup,
} from '@stevedore/core';
import type { Action, ApiContext } from '../context';
import { Params } from '../params';

/**
 * Shared input handling of the load balancer operations. ELB answers bad
 * input with `ValidationError` where ECS says InvalidParameterException, so
 * every ELB action runs inside `elbAction`, which renames it.
 */
export function elbAction(fn: (ctx: ApiContext, p: Params) => unknown): Action {
  return (ctx, body) => {
    try {
      return fn(ctx, Params.of(body));
    } catch (e) {
      if (e instanceof InvalidParameterException) throw new StevedoreError('ValidationError', e.message, e.field === undefined ? {} : { field: e.field });
      throw e;
    }
  };
}

export const notFound = {
  loadBalancer: () => new StevedoreError('LoadBalancerNotFoundException', 'One or more load balancers not found'),
  targetGroup: () => new StevedoreError('TargetGroupNotFoundException', 'One or more target groups not found'),
  listener: () => new StevedoreError('ListenerNotFoundException', 'One or more listeners not found'),
  rule: () => new StevedoreError('RuleNotFoundException', 'One or more rules not found'),
};

function arnOf(p: Params, name: string, type: ReturnType<typeof elbResourceType>): string {
  const v = p.requiredString(name, { max: 2048 });
  if (elbResourceType(v) !== type) throw validationError(`'${v}' is not a valid ${name}.`, name);
  return v;
}

export function requireLoadBalancer(ctx: ApiContext, p: Params, member = 'LoadBalancerArn'): LoadBalancer {
  const lb = ctx.store.loadBalancers.getLoadBalancer(arnOf(p, member, 'loadbalancer'));
  if (!lb) throw notFound.loadBalancer();
  return lb;
}

export function requireTargetGroup(ctx: ApiContext, p: Params, member = 'TargetGroupArn'): TargetGroup {
  const tg = ctx.store.loadBalancers.getTargetGroup(arnOf(p, member, 'targetgroup'));
  if (!tg) throw notFound.targetGroup();
  return tg;
}

export function requireListener(ctx: ApiContext, p: Params, member = 'ListenerArn'): Listener {
  const l = ctx.store.loadBalancers.getListener(arnOf(p, member, 'listener'));
  if (!l) throw notFound.listener();
  return l;
}

export function requireRule(ctx: ApiContext, p: Params, member = 'RuleArn'): ListenerRule {
  const r = ctx.store.loadBalancers.getRule(arnOf(p, member, 'listener-rule'));
  if (!r) throw notFound.rule();
  return r;
}

/** ELB paging: Marker (opaque) and PageSize 1-400. */
export function pageSize(p: Params): number {
  return p.integer('PageSize', { min: 1, max: 400 }) ?? 400;
}

const REDIRECT_PART = /^[A-Za-z0-9._~!$&'()*+,;=:@/{}#-]*$/;
const PLACEHOLDERS = ['#{protocol}', '#{host}', '#{port}', '#{path}', '#{query}'];
/** What is left of a redirect component once its placeholders are taken out may not hold `#`, `{` or `}`. */
function redirectPart(a: Params, name: string, def: string, max: number, field: string): string {
  const v = a.string(name, { max }) ?? def;
  let rest = v;
  for (const ph of PLACEHOLDERS) rest = rest.split(ph).join('');
  if (!REDIRECT_PART.test(v) || /[#{}]/.test(rest)) throw validationError(`${name} '${v}' is not valid: letters, digits, URL punctuation and the placeholders ${PLACEHOLDERS.join(', ')}.`, `${field}.RedirectConfig.${name}`);
  return v;
}

const CONTENT_TYPES = ['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json'];

/**
 * One action per rule or listener, as ELB takes them: `forward` (one
 * target group, or ForwardConfig.TargetGroups with weights 0-999, up to 5
 * groups), `redirect` (RedirectConfig, HTTP_301/302, placeholders) and
 * `fixed-response` (FixedResponseConfig: 2XX/4XX/5XX, content type, body up
 * to 1024 characters). Authentication actions are refused.
 */
export function readForwardActions(ctx: ApiContext, raw: unknown[] | undefined, member: string, lbType: LoadBalancer['type'] = 'application'): { actions: RuleAction[]; targetGroups: TargetGroup[] } {
  if (!raw || raw.length === 0) throw validationError(`${member} must contain exactly one action.`, member);
  if (raw.length > 1) throw validationError(`Stevedore supports one action per ${member === 'Actions' ? 'rule' : 'listener'} (forward, redirect or fixed-response).`, member);
  const field = `${member}[0]`;
  const a = Params.of(raw[0]);
  const type = a.requiredString('Type');
  if ((type === 'redirect' || type === 'fixed-response') && lbType !== 'application') {
    throw new StevedoreError('InvalidLoadBalancerActionException', `Action type '${type}' is only supported by application load balancers.`, { field: `${field}.Type` });
  }
  if (type === 'redirect') {
    const rc = a.object('RedirectConfig');
    if (!rc) throw validationError('A redirect action needs a RedirectConfig.', `${field}.RedirectConfig`);
    const r = new Params(rc);
    const protocol = r.string('Protocol', { max: 16 }) ?? '#{protocol}';
    if (!['HTTP', 'HTTPS', '#{protocol}'].includes(protocol)) throw validationError(`Protocol must be HTTP, HTTPS or #{protocol}.`, `${field}.RedirectConfig.Protocol`);
    const port = r.string('Port', { max: 8 }) ?? '#{port}';
    if (port !== '#{port}' && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) throw validationError(`Port must be 1-65535 or #{port}.`, `${field}.RedirectConfig.Port`);
    const path = redirectPart(r, 'Path', '/#{path}', 128, field);
    if (!path.startsWith('/')) throw validationError('Path must start with /.', `${field}.RedirectConfig.Path`);
    const statusCode = r.requiredString('StatusCode', { enum: ['HTTP_301', 'HTTP_302'] }) as 'HTTP_301' | 'HTTP_302';
    return { actions: [{ type: 'redirect', protocol, port, host: redirectPart(r, 'Host', '#{host}', 128, field) || '#{host}', path, query: redirectPart(r, 'Query', '#{query}', 128, field), statusCode }], targetGroups: [] };
  }
  if (type === 'fixed-response') {
    const fc = a.object('FixedResponseConfig');
    if (!fc) throw validationError('A fixed-response action needs a FixedResponseConfig.', `${field}.FixedResponseConfig`);
    const f = new Params(fc);
    const statusCode = f.requiredString('StatusCode', { pattern: /^[245]\d\d$/, patternText: 'must be a 2XX, 4XX or 5XX code' });
    const contentType = f.string('ContentType', { enum: CONTENT_TYPES });
    const messageBody = f.string('MessageBody', { max: 1024 });
    if (messageBody !== undefined && !/^[\x20-\x7e\n\t]*$/.test(messageBody)) throw validationError('MessageBody must be printable ASCII text.', `${field}.FixedResponseConfig.MessageBody`);
    return { actions: [{ type: 'fixed-response', statusCode, ...(contentType !== undefined ? { contentType } : {}), ...(messageBody !== undefined ? { messageBody } : {}) }], targetGroups: [] };
  }
  if (type !== 'forward') throw validationError(`Action type '${type}' is not supported by Stevedore; use forward, redirect or fixed-response.`, `${field}.Type`);
  let arn = a.string('TargetGroupArn', { max: 2048 });
  let weighted: { targetGroupArn: string; weight: number }[] | undefined;
  let stickinessSeconds: number | undefined;
  const fc = a.object('ForwardConfig');
  if (fc) {
    const fp = new Params(fc);
    const sc = fp.object('TargetGroupStickinessConfig');
    if (sc) {
      const sp = new Params(sc);
      const duration = sp.integer('DurationSeconds', { min: 1, max: 604_800 });
      if (sp.boolean('Enabled') === true) {
        if (duration === undefined) throw validationError('TargetGroupStickinessConfig.DurationSeconds must be specified when target group stickiness is enabled.', `${field}.ForwardConfig.TargetGroupStickinessConfig.DurationSeconds`);
        stickinessSeconds = duration;
      }
    }
    const groups = fp.list('TargetGroups') ?? [];
    if (groups.length === 0 || groups.length > 5) throw validationError('ForwardConfig.TargetGroups must name 1 to 5 target groups.', `${field}.ForwardConfig`);
    weighted = groups.map((g, i) => {
      const gp = Params.of(g);
      return { targetGroupArn: gp.requiredString('TargetGroupArn', { max: 2048 }), weight: gp.integer('Weight', { min: 0, max: 999 }) ?? 1, i };
    }).map(({ targetGroupArn, weight }) => ({ targetGroupArn, weight }));
    if (new Set(weighted.map((w) => w.targetGroupArn)).size !== weighted.length) throw validationError('A target group can appear only once in ForwardConfig.', `${field}.ForwardConfig`);
    if (arn !== undefined && (weighted.length !== 1 || arn !== weighted[0]!.targetGroupArn)) throw validationError('TargetGroupArn and ForwardConfig name different target groups.', field);
    arn = weighted[0]!.targetGroupArn;
    if (weighted.length === 1) weighted = undefined;
  }
  if (arn === undefined) throw validationError('A forward action needs a TargetGroupArn.', `${field}.TargetGroupArn`);
  const arns = weighted ? weighted.map((w) => w.targetGroupArn) : [arn];
  const targetGroups = arns.map((x) => {
    const tg = elbResourceType(x) === 'targetgroup' ? ctx.store.loadBalancers.getTargetGroup(x) : undefined;
    if (!tg) throw notFound.targetGroup();
    return tg;
  });
  return { actions: [{ type: 'forward', targetGroupArn: targetGroups[0]!.arn, ...(weighted ? { targetGroups: weighted } : {}), ...(stickinessSeconds !== undefined ? { stickinessSeconds } : {}) }], targetGroups };
}

const CONDITION_CONFIGS: ReadonlyMap<string, string> = new Map([
  ['host-header', 'HostHeaderConfig'],
  ['path-pattern', 'PathPatternConfig'],
  ['http-header', 'HttpHeaderConfig'],
  ['http-request-method', 'HttpRequestMethodConfig'],
  ['query-string', 'QueryStringConfig'],
  ['source-ip', 'SourceIpConfig'],
]);

/** `{Field, Values}` (host-header, path-pattern) or `{Field, <Field>Config: {...}}` for every ALB condition. */
export function readConditions(raw: unknown[] | undefined): RuleCondition[] {
  return (raw ?? []).map((x, i) => {
    const c = Params.of(x);
    const field = c.requiredString('Field');
    const configName = CONDITION_CONFIGS.get(field);
    if (!configName) throw validationError(`Condition field '${field}' is not supported; use ${[...CONDITION_CONFIGS.keys()].join(', ')}.`, `Conditions[${i}].Field`);
    const config = c.object(configName);
    const cp = config ? new Params(config) : undefined;
    if (field === 'query-string') {
      const pairs = (cp?.list('Values') ?? []).map((q) => {
        const qp = Params.of(q);
        const key = qp.string('Key', { max: 128 });
        return { ...(key !== undefined ? { key } : {}), value: qp.requiredString('Value', { max: 128 }) };
      });
      return { field, values: pairs.map((q) => `${q.key ?? ''}=${q.value}`), queryStrings: pairs };
    }
    const values = cp?.stringList('Values') ?? ((field === 'host-header' || field === 'path-pattern') ? c.stringList('Values') : undefined) ?? [];
    if (field === 'http-header') {
      const name = cp?.requiredString('HttpHeaderName', { max: 40 });
      return { field, values, ...(name !== undefined ? { httpHeaderName: name } : {}) };
    }
    return { field: field as RuleCondition['field'], values };
  });
}
