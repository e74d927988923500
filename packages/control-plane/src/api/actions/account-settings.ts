/**
 * ECS account settings: PutAccountSetting (a principal's own),
 * PutAccountSettingDefault (the account's), ListAccountSettings (explicit or
 * effective) and DeleteAccountSetting. The principal is the caller's IAM
 * role (`arn:aws:iam::<account>:role/<name>`), or the `principalArn` given;
 * the account default's principal is the account root, as in ECS.
 *
 * Settings that change behaviour here: `containerInsights` is the default of
 * new clusters' containerInsights setting. The long-ARN formats are always
 * on (Stevedore has only the long format, as ECS today); the others are
 * stored and echoed, with ECS's values checked.
 */
import { InvalidParameterException, type ArnContext } from '@stevedore/core';
import type { ApiContext, RequestContext } from '../context';
import { decodeToken, isString, page } from '../paging';
import { Params } from '../params';

const ENABLED_DISABLED = ['enabled', 'disabled'] as const;
const ON_OFF = ['on', 'off'] as const;

/** ECS's setting names with their values and the AWS default each has when nothing is set. */
const SETTINGS: ReadonlyMap<string, { values: readonly string[]; awsDefault: string; type?: 'aws_managed' }> = new Map([
  ['serviceLongArnFormat', { values: ENABLED_DISABLED, awsDefault: 'enabled' }],
  ['taskLongArnFormat', { values: ENABLED_DISABLED, awsDefault: 'enabled' }],
  ['containerInstanceLongArnFormat', { values: ENABLED_DISABLED, awsDefault: 'enabled' }],
  ['awsvpcTrunking', { values: ENABLED_DISABLED, awsDefault: 'disabled' }],
  ['containerInsights', { values: ['enabled', 'disabled', 'enhanced'], awsDefault: 'disabled' }],
  ['fargateFIPSMode', { values: ENABLED_DISABLED, awsDefault: 'disabled', type: 'aws_managed' }],
  ['tagResourceAuthorization', { values: ON_OFF, awsDefault: 'on' }],
  ['fargateTaskRetirementWaitPeriod', { values: ['0', '7', '14'], awsDefault: '7' }],
  ['guardDutyActivate', { values: ON_OFF, awsDefault: 'off', type: 'aws_managed' }],
  ['defaultLogDriverMode', { values: ['blocking', 'non-blocking'], awsDefault: 'non-blocking' }],
  ['fargateEventWindows', { values: ENABLED_DISABLED, awsDefault: 'disabled' }],
]);
const LONG_ARN_FORMATS = new Set(['serviceLongArnFormat', 'taskLongArnFormat', 'containerInstanceLongArnFormat']);
const NAMES = [...SETTINGS.keys()];

const rootArn = (a: ArnContext) => `arn:aws:iam::${a.account}:root`;
const roleArn = (a: ArnContext, role: string) => `arn:aws:iam::${a.account}:role/${role}`;

function readName(p: Params, required: boolean): string | undefined {
  return p.string('name', { required, enum: NAMES });
}

function readValue(p: Params, name: string): string {
  const value = p.requiredString('value', { max: 256 });
  const spec = SETTINGS.get(name)!;
  if (!spec.values.includes(value)) throw new InvalidParameterException(`The value '${value}' is not valid for ${name}; valid values: ${spec.values.join(', ')}.`, 'value');
  if (LONG_ARN_FORMATS.has(name) && value === 'disabled') {
    throw new InvalidParameterException(`${name} can no longer be disabled: the long ARN format is the only one.`, 'value');
  }
  return value;
}

/** The principal a request is about: `principalArn` (an IAM ARN of this account), else the caller's role. */
function principalOf(ctx: RequestContext, p: Params): string {
  const given = p.string('principalArn', { max: 2048 });
  if (given === undefined) return roleArn(ctx.arn, ctx.caller.roleName);
  if (!/^arn:aws:iam::\d{12}:(root|role\/[\w+=,.@/-]{1,128}|user\/[\w+=,.@/-]{1,128})$/.test(given)) {
    throw new InvalidParameterException('principalArn must be the ARN of an IAM user, IAM role or the root user.', 'principalArn');
  }
  return given;
}

const settingJson = (name: string, value: string, principalArn: string) => ({ name, value, principalArn, type: SETTINGS.get(name)?.type ?? 'user' });

/** The effective value of a setting for a principal: its own, else the account default, else AWS's. */
export function effectiveAccountSetting(ctx: ApiContext, name: string, principal: string): string {
  const own = ctx.store.accountSettings.get(name, principal);
  if (own) return own.value;
  return ctx.store.accountSettings.get(name, '')?.value ?? SETTINGS.get(name)?.awsDefault ?? 'disabled';
}

export function callerPrincipal(ctx: RequestContext): string {
  return roleArn(ctx.arn, ctx.caller.roleName);
}

export function putAccountSetting(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const name = readName(p, true)!;
  const value = readValue(p, name);
  const principal = principalOf(ctx, p);
  // The root's own setting is the account default, as ECS treats it.
  const key = principal === rootArn(ctx.arn) ? '' : principal;
  ctx.store.tx(() => ctx.store.accountSettings.put({ name, principal: key, value }, ctx.clock.now()));
  ctx.log.info({ setting: name, value, principal }, 'account setting put');
  return { setting: settingJson(name, value, principal) };
}

export function putAccountSettingDefault(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const name = readName(p, true)!;
  const value = readValue(p, name);
  ctx.store.tx(() => ctx.store.accountSettings.put({ name, principal: '', value }, ctx.clock.now()));
  ctx.log.info({ setting: name, value }, 'account setting default put');
  return { setting: settingJson(name, value, rootArn(ctx.arn)) };
}

export function deleteAccountSetting(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const name = readName(p, true)!;
  const principal = principalOf(ctx, p);
  const key = principal === rootArn(ctx.arn) ? '' : principal;
  const before = ctx.store.accountSettings.get(name, key);
  ctx.store.tx(() => ctx.store.accountSettings.delete(name, key));
  ctx.log.info({ setting: name, principal }, 'account setting deleted');
  return { setting: settingJson(name, before?.value ?? effectiveAccountSetting(ctx, name, key), principal) };
}

export function listAccountSettings(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const name = readName(p, false);
  const value = p.string('value', { max: 256 });
  if (value !== undefined && name === undefined) throw new InvalidParameterException('value can only be given together with name.', 'value');
  const principal = principalOf(ctx, p);
  const key = principal === rootArn(ctx.arn) ? '' : principal;
  const effective = p.boolean('effectiveSettings') ?? false;
  const limit = p.integer('maxResults', { min: 1, max: 10 }) ?? 10;
  const after = decodeToken(p.string('nextToken'), isString);
  const all = effective
    ? NAMES.map((n) => settingJson(n, effectiveAccountSetting(ctx, n, key), principal))
    : ctx.store.accountSettings.ofPrincipal(key).map((s) => settingJson(s.name, s.value, principal));
  const rows = all
    .filter((s) => (name === undefined || s.name === name) && (value === undefined || s.value === value))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .filter((s) => after === undefined || s.name > after);
  const { items, nextToken } = page(rows.slice(0, limit + 1), limit, (s) => s.name);
  return { settings: items, ...(nextToken ? { nextToken } : {}) };
}
