import * as net from 'node:net';

/** 127.0.0.0/8, ::1 and localhost: the only addresses --insecure-disable-auth may serve. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}
