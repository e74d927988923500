import pino, { type Logger } from 'pino';

/**
 * The one place log redaction lives (lesson 12): environment values and
 * credentials are never written, whatever a caller passes.
 */
export const REDACT_PATHS = [
  '*.environment[*].value',
  'environment[*].value',
  '*.Env',
  'Env',
  '*.password',
  '*.token',
  '*.secret',
  // Secret values on their way to a container or a registry (names stay visible).
  '*.secretEnvironment[*].value',
  'secretEnvironment[*].value',
  '*.secrets[*].value',
  'secrets[*].value',
  '*.authconfig.password',
  '*.registryAuth[*].password',
];

export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { ...base }, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime });
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
