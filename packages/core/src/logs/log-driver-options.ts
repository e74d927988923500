import type { LogConfiguration } from '../model/task-definition';
import { parseByteSize } from './awslogs-config';
import { strftimeToRegExpSource } from './multiline';

/**
 * Option names each log driver accepts (Docker's own lists, which ECS passes
 * through), and a check of the values Docker would refuse at create time or
 * that would silently misbehave. Refusing at registration names the field;
 * Docker's refusal would surface only when a task fails to start.
 */
const COMMON = ['mode', 'max-buffer-size', 'tag', 'labels', 'labels-regex', 'env', 'env-regex'];

export const LOG_DRIVER_OPTIONS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ['json-file', [...COMMON, 'max-size', 'max-file', 'compress']],
  ['syslog', [...COMMON, 'syslog-address', 'syslog-facility', 'syslog-tls-ca-cert', 'syslog-tls-cert', 'syslog-tls-key', 'syslog-tls-skip-verify', 'syslog-format']],
  ['journald', [...COMMON]],
  ['gelf', [...COMMON, 'gelf-address', 'gelf-compression-type', 'gelf-compression-level', 'gelf-tcp-max-reconnect', 'gelf-tcp-reconnect-delay']],
  [
    'fluentd',
    [...COMMON, 'fluentd-address', 'fluentd-buffer-limit', 'fluentd-retry-wait', 'fluentd-max-retries', 'fluentd-async', 'fluentd-async-connect', 'fluentd-sub-second-precision', 'fluentd-request-ack'],
  ],
  [
    'splunk',
    [
      ...COMMON, 'splunk-token', 'splunk-url', 'splunk-source', 'splunk-sourcetype', 'splunk-index', 'splunk-capath', 'splunk-caname', 'splunk-insecureskipverify',
      'splunk-format', 'splunk-verify-connection', 'splunk-gzip', 'splunk-gzip-level', 'splunk-index-acknowledgment',
    ],
  ],
  [
    'awslogs',
    // ECS's awslogs options; awslogs-endpoint is accepted and has no effect (lines always go to the control plane).
    ['mode', 'max-buffer-size', 'awslogs-group', 'awslogs-region', 'awslogs-stream-prefix', 'awslogs-create-group', 'awslogs-datetime-format', 'awslogs-multiline-pattern', 'awslogs-endpoint'],
  ],
  ['logentries', ['logentries-token', 'line-only']],
  ['none', []],
]);

const BOOL = /^(true|false)$/;
const ADDRESS: ReadonlyMap<string, RegExp> = new Map([
  ['syslog-address', /^(tcp|udp|tcp\+tls|unix|unixgram):\/\/\S+$/],
  ['gelf-address', /^(udp|tcp):\/\/[^\s:]+:\d{1,5}$/],
  ['fluentd-address', /^((tcp|unix):\/\/)?\S+$/],
  ['splunk-url', /^https?:\/\/\S+$/],
]);
const BOOLEANS = new Set(['compress', 'syslog-tls-skip-verify', 'fluentd-async', 'fluentd-async-connect', 'fluentd-sub-second-precision', 'fluentd-request-ack', 'awslogs-create-group', 'splunk-insecureskipverify', 'splunk-verify-connection', 'splunk-gzip', 'line-only']);
const INTEGERS = new Set(['max-file', 'gelf-compression-level', 'gelf-tcp-max-reconnect', 'gelf-tcp-reconnect-delay', 'fluentd-max-retries', 'splunk-gzip-level']);
const SIZES = new Set(['max-size', 'max-buffer-size', 'fluentd-buffer-limit']);
/** CloudWatch Logs' log group name pattern. */
export const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
/** CloudWatch Logs' log stream name: no ':' nor '*', 1-512 characters. */
export const LOG_STREAM_NAME = /^[^:*]{1,512}$/;

export interface LogOptionProblem {
  /** Sub-path under logConfiguration, e.g. `options.max-file`. */
  path: string;
  message: string;
}

/** What is wrong with a logConfiguration's options (names and values), first problem first. */
export function logOptionProblems(log: LogConfiguration): LogOptionProblem[] {
  const allowed = LOG_DRIVER_OPTIONS.get(log.logDriver);
  const out: LogOptionProblem[] = [];
  if (!allowed) return out;
  for (const [name, value] of Object.entries(log.options ?? {})) {
    const path = `options.${name}`;
    if (!allowed.includes(name)) {
      out.push({ path, message: `Log driver ${log.logDriver} does not accept the option '${name}'; it accepts ${allowed.length ? allowed.join(', ') : 'no options'}.` });
      continue;
    }
    const bad = (what: string) => out.push({ path, message: `Invalid value for log option '${name}' of log driver ${log.logDriver}: ${what}.` });
    if (name === 'mode' && value !== 'blocking' && value !== 'non-blocking') bad("expected 'blocking' or 'non-blocking'");
    else if (BOOLEANS.has(name) && !BOOL.test(value)) bad("expected 'true' or 'false'");
    else if (INTEGERS.has(name) && !/^\d{1,9}$/.test(value)) bad('expected a non-negative integer');
    else if (name === 'max-file' && Number(value) < 1) bad('expected at least 1');
    else if (SIZES.has(name) && parseByteSize(value) === undefined) bad("expected a size such as '10m', '512k' or a number of bytes");
    else if (ADDRESS.has(name) && !ADDRESS.get(name)!.test(value)) bad(`'${value}' is not an address of a supported scheme`);
    else if (name === 'awslogs-group' && !LOG_GROUP_NAME.test(value)) bad('a log group name has 1-512 characters among a-z, A-Z, 0-9, _ - / . #');
    else if (name === 'awslogs-stream-prefix' && (value.length > 256 || !LOG_STREAM_NAME.test(value))) bad("a stream prefix has 1-256 characters and no ':' or '*'");
    else if (name === 'awslogs-multiline-pattern' && !compiles(value)) bad('not a valid regular expression');
    else if (name === 'awslogs-datetime-format' && !compiles(strftimeToRegExpSource(value))) bad('not a valid strftime format');
  }
  const o = log.options ?? {};
  // Docker's ValidateLogOpts, for every driver: the buffer exists only in non-blocking mode.
  if (o['max-buffer-size'] !== undefined && o['mode'] !== 'non-blocking') {
    out.push({ path: 'options.max-buffer-size', message: "max-buffer-size option is only supported with 'mode=non-blocking' (Docker refuses it otherwise); add mode non-blocking or remove it." });
  }
  if (log.logDriver === 'awslogs' && o['awslogs-datetime-format'] !== undefined && o['awslogs-multiline-pattern'] !== undefined) {
    out.push({ path: 'options.awslogs-multiline-pattern', message: 'awslogs-datetime-format and awslogs-multiline-pattern cannot be set together (Docker refuses both at once); keep one.' });
  }
  return out;
}

function compiles(source: string): boolean {
  try {
    new RegExp(source);
    return source.length <= 1024;
  } catch {
    return false;
  }
}
