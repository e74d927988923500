/**
 * The one place secrets are kept out of logs (STYLE 12): pino replaces these
 * paths with [REDACTED] whatever component logs them. Code should not log
 * secrets at all; this is the net under that rule.
 */
export const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.headers.authorization',
  'secretAccessKey',
  '*.secretAccessKey',
  'accessKey.secretAccessKey',
  'signature',
  '*.signature',
  'sessionToken',
  '*.sessionToken',
  'secret',
  '*.secret',
];

export const LOG_REDACTION = { paths: REDACT_PATHS, censor: '[REDACTED]' };
