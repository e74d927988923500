import { createHash } from 'node:crypto';
import { wildcardToRegex, type HostAction, type RuleCondition } from '@stevedore/core/host';
import { conditionValue, HaproxyConfigError, integer, oneOf, quotedRegex } from './haproxy-values';

/**
 * ALB conditions and actions as HAProxy configuration lines, every value
 * checked for its form first (like haproxy-config.ts).
 *
 * Conditions are ACLs; several `acl` lines of one name are ORed, which is
 * ALB's OR within a condition. Actions: a forward is `use_backend` (weighted:
 * one random draw per request, `rand(total)`, compared with cumulative
 * weights); redirect and fixed-response are small backends of their own
 * (`http-request redirect` / `http-request return`), so every action is
 * chosen by `use_backend` lines in priority order and ALB's first-match
 * order holds whatever the action type.
 */

const HEADER_NAME = /^[A-Za-z0-9_-]{1,40}$/;
const METHOD = /^[A-Z_-]{1,40}$/;
const CIDR = /^[0-9a-fA-F.:]{2,39}\/\d{1,3}$/;

/** The inside of an anchored wildcard regex, for patterns embedded in a larger one. */
function inner(v: string): string {
  return wildcardToRegex(v).slice(1, -1);
}

export function aclLines(name: string, c: RuleCondition, field: string): string[] {
  const kind = oneOf(`${field}.field`, c.field, ['host-header', 'path-pattern', 'http-header', 'http-request-method', 'query-string', 'source-ip'] as const);
  if (!Array.isArray(c.values) || c.values.length === 0 || c.values.length > 5) throw new HaproxyConfigError(`${field}.values`, 'expected 1-5 values');
  const values = c.values.map((v, i) => conditionValue(`${field}.values[${i}]`, v));
  const patterns = () => values.map((v) => quotedRegex(wildcardToRegex(v))).join(' ');
  switch (kind) {
    // ALB matches the host without its port, case-insensitively; paths as sent.
    case 'host-header':
      return [`  acl ${name} req.hdr(host),field(1,:) -m reg -i ${patterns()}`];
    case 'path-pattern':
      return [`  acl ${name} path -m reg ${patterns()}`];
    case 'http-header': {
      const h = c.httpHeaderName;
      if (typeof h !== 'string' || !HEADER_NAME.test(h)) throw new HaproxyConfigError(`${field}.httpHeaderName`, `${JSON.stringify(String(h).slice(0, 64))} is not a header name`);
      return [`  acl ${name} req.hdr(${h}) -m reg -i ${patterns()}`];
    }
    case 'http-request-method':
      values.forEach((v, i) => {
        if (!METHOD.test(v)) throw new HaproxyConfigError(`${field}.values[${i}]`, `${JSON.stringify(v)} is not a method`);
      });
      return [`  acl ${name} method ${values.join(' ')}`];
    case 'source-ip':
      values.forEach((v, i) => {
        if (!CIDR.test(v)) throw new HaproxyConfigError(`${field}.values[${i}]`, `${JSON.stringify(v)} is not a CIDR block`);
      });
      return [`  acl ${name} src ${values.join(' ')}`];
    case 'query-string': {
      const pairs = c.queryStrings ?? [];
      if (pairs.length === 0 || pairs.length > 5) throw new HaproxyConfigError(`${field}.queryStrings`, 'expected 1-5 key/value pairs');
      return pairs.map((q, i) => {
        const value = conditionValue(`${field}.queryStrings[${i}].value`, q.value);
        const key = q.key === undefined ? '[^=&]*' : inner(conditionValue(`${field}.queryStrings[${i}].key`, q.key));
        return `  acl ${name} query -m reg -i ${quotedRegex(`(^|&)${key}=${inner(value)}(&|$)`)}`;
      });
    }
  }
}

/** The AWSALBTG value naming a target group: opaque, the same on every host. */
export function groupCookieValue(targetGroupArn: string): string {
  return createHash('sha256').update(`stevedore AWSALBTG ${targetGroupArn}`).digest('hex').slice(0, 16);
}

/**
 * `use_backend` lines of a forward (plain or weighted), under `cond` (ACL
 * names, or '' for the default). With target group stickiness, a request
 * whose AWSALBTG cookie names one of the action's groups goes there (weight
 * 0 included: weights steer new clients, as ALB's do), others draw by weight;
 * responses set the cookie when `matched` (this action chose the backend,
 * see the frontend's rule marks) and the backend is one of the groups.
 */
export function forwardLines(action: Extract<HostAction, { type: 'forward' }>, varName: string, cond: string, backendOf: (arn: string, i: number) => string, field: string, matched = ''): string[] {
  if (!Array.isArray(action.targetGroups) || action.targetGroups.length === 0 || action.targetGroups.length > 5) throw new HaproxyConfigError(`${field}.targetGroups`, 'expected 1-5 target groups');
  const groups = action.targetGroups.map((g, i) => ({ arn: g.targetGroupArn, backend: backendOf(g.targetGroupArn, i), weight: integer(`${field}.targetGroups[${i}].weight`, g.weight, 0, 999) }));
  const when = (...parts: string[]) => {
    const c = parts.filter((x) => x !== '').join(' ');
    return c ? ` if ${c}` : '';
  };
  const lines: string[] = [];
  if (action.stickinessSeconds !== undefined && groups.length > 1) {
    const seconds = integer(`${field}.stickinessSeconds`, action.stickinessSeconds, 1, 604_800);
    for (const g of groups) {
      const value = groupCookieValue(g.arn);
      lines.push(`  use_backend ${g.backend}${when(cond, `{ req.cook(AWSALBTG) -m str ${value} }`)}`);
      lines.push(`  http-response add-header Set-Cookie "AWSALBTG=${value}; Max-Age=${seconds}; Path=/"${when(matched, `{ be_name -m str ${g.backend} }`)}`);
    }
  }
  const live = groups.filter((g) => g.weight > 0);
  // All weights 0: ALB then sends nothing anywhere useful; the first group keeps the rule routable.
  if (live.length <= 1) return [...lines, `  use_backend ${(live[0] ?? groups[0]!).backend}${when(cond)}`];
  const total = live.reduce((n, g) => n + g.weight, 0);
  lines.push(`  http-request set-var(txn.${varName}) rand(${total})`);
  let upTo = 0;
  live.forEach((g, i) => {
    upTo += g.weight;
    lines.push(`  use_backend ${g.backend}${when(cond, i === live.length - 1 ? '' : `{ var(txn.${varName}) -m int lt ${upTo} }`)}`);
  });
  return lines;
}

/** A redirect component: placeholders become HAProxy samples; the literal rest is URL characters only. */
function redirectPart(v: unknown, field: string, placeholder: string): string {
  if (typeof v !== 'string' || v.length > 128 || !/^[A-Za-z0-9._~!$&'()*+,;=:@/{}#-]*$/.test(v)) throw new HaproxyConfigError(field, `${JSON.stringify(String(v).slice(0, 64))} is not a redirect component`);
  const out = v
    .replace(/\/#\{path\}/g, '\u0001')
    .replace(/#\{path\}/g, '\u0002')
    .replace(/#\{host\}/g, '\u0003')
    .replace(/#\{port\}/g, '\u0004')
    .replace(/#\{query\}/g, '\u0005')
    .replace(/#\{protocol\}/g, '\u0006');
  if (/[#{}"\\]/.test(out)) throw new HaproxyConfigError(field, `${JSON.stringify(v.slice(0, 64))} has an unknown placeholder (${placeholder})`);
  return out
    .replace(/%/g, '%%')
    .replace(/\$/g, '\\$')
    .replace(/\u0001/g, '%[path]')
    .replace(/\u0002/g, '%[path,regsub(^/,)]')
    .replace(/\u0003/g, '%[req.hdr(host),field(1,:)]')
    .replace(/\u0004/g, '%[dst_port]')
    .replace(/\u0005/g, '%[query]')
    .replace(/\u0006/g, '%[ssl_fc,iif(https,http)]');
}

/** Text inside double quotes in haproxy.cfg: backslash, quote, `$` (environment expansion) and newline escaped. */
function quoted(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '\\$').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

const CONTENT_TYPES = ['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json'] as const;

/** The backend that carries out a redirect or fixed-response action. */
export function actionBackend(name: string, action: Exclude<HostAction, { type: 'forward' }>, field: string): string[] {
  const lines = [`backend ${name}`, '  mode http'];
  if (action.type === 'redirect') {
    const code = oneOf(`${field}.statusCode`, action.statusCode, ['HTTP_301', 'HTTP_302'] as const) === 'HTTP_301' ? 301 : 302;
    const protocol = action.protocol === '#{protocol}' ? '%[ssl_fc,iif(https,http)]' : oneOf(`${field}.protocol`, action.protocol, ['HTTP', 'HTTPS'] as const).toLowerCase();
    const port = action.port === '#{port}' ? '%[dst_port]' : String(integer(`${field}.port`, Number(action.port), 1, 65535));
    const base = `${protocol}://${redirectPart(action.host, `${field}.host`, 'host')}:${port}${redirectPart(action.path, `${field}.path`, 'path')}`;
    const query = redirectPart(action.query, `${field}.query`, 'query');
    if (query === '') lines.push(`  http-request redirect location "${base}" code ${code}`);
    else if (query === '%[query]') {
      // ALB leaves out the `?` when the request has no query string.
      lines.push(`  http-request redirect location "${base}?%[query]" code ${code} if { query -m len gt 0 }`, `  http-request redirect location "${base}" code ${code}`);
    } else lines.push(`  http-request redirect location "${base}?${query}" code ${code}`);
    return lines;
  }
  if (action.type !== 'fixed-response') throw new HaproxyConfigError(`${field}.type`, 'is not an action type');
  const status = integer(`${field}.statusCode`, Number(action.statusCode), 200, 599);
  if (!/^[245]/.test(String(status))) throw new HaproxyConfigError(`${field}.statusCode`, 'expected a 2XX, 4XX or 5XX code');
  const type = action.contentType === undefined ? 'text/plain' : oneOf(`${field}.contentType`, action.contentType, CONTENT_TYPES);
  const body = action.messageBody ?? '';
  if (typeof body !== 'string' || body.length > 1024 || !/^[\x20-\x7e\n\t]*$/.test(body)) throw new HaproxyConfigError(`${field}.messageBody`, 'expected up to 1024 printable characters');
  lines.push(`  http-request return status ${status} content-type ${quoted(type)}${body ? ` string ${quoted(body)}` : ''}`);
  return lines;
}
