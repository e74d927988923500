import type { Transport } from '../api/api-client';

/** The browser's fetch to the page's own origin, where the control plane serves both the console and the API. */
export const browserTransport: Transport = {
  // A GET has no body (fetch refuses one, even empty).
  fetch: (url, init) => fetch(url, { ...init, body: init.method === 'GET' ? null : init.body, credentials: 'omit', cache: 'no-store' }),
  host: location.host,
  protocol: location.protocol === 'https:' ? 'https:' : 'http:',
  now: () => new Date(),
  requestId: () => crypto.randomUUID(),
};
