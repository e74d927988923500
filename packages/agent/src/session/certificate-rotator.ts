import type { Logger } from 'pino';
import { generateKeyAndCsr, identityOfCertificate, renewalTime } from '@stevedore/proto';
import { loadCredentials, saveCredentials, type LoadedCredentials } from './credential-files';
import type { DispatcherClient } from './dispatcher-client';

/** setTimeout overflows past 2^31-1 ms (24.8 days): longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface RotatorOptions {
  dataDir: string;
  client: Pick<DispatcherClient, 'renewCertificate'>;
  current: LoadedCredentials;
  /** The new certificate is saved: switch the channel to it. */
  onRenewed: (c: LoadedCredentials) => void;
  log: Logger;
  now?: () => number;
  /** First retry after a failed renewal; doubles up to a tenth of the remaining lifetime. */
  retryMs?: number;
}

/**
 * Renews the agent's certificate at 2/3 of its lifetime, with a new key each
 * time, over the channel the current certificate authenticates. Tasks are
 * not involved: the session reconnects with the new certificate and the
 * containers never notice.
 */
export class CertificateRotator {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private current: LoadedCredentials;
  private failures = 0;
  renewals = 0;

  constructor(private readonly opts: RotatorOptions) {
    this.current = opts.current;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  start(): void {
    this.schedule(renewalTime(this.current));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  get notAfter(): number {
    return this.current.notAfter;
  }

  private schedule(at: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const wait = Math.max(0, at - this.now());
    this.timer = setTimeout(() => (wait > MAX_TIMER_MS ? this.schedule(at) : void this.renew()), Math.min(wait, MAX_TIMER_MS));
    this.timer.unref();
  }

  async renew(): Promise<void> {
    if (this.stopped) return;
    const { log, dataDir, client } = this.opts;
    const id = this.current.identity;
    try {
      const { keyPem, csrPem } = await generateKeyAndCsr();
      const res = await client.renewCertificate(id.instanceId, csrPem);
      const renewed = identityOfCertificate(res.certificate_pem);
      if (!renewed || renewed.instanceId !== id.instanceId || renewed.cluster !== id.cluster) throw new Error('the renewed certificate names another identity');
      await saveCredentials(dataDir, { keyPem, certPem: res.certificate_pem, caPem: res.ca_pem });
      const loaded = await loadCredentials(dataDir);
      if (!loaded) throw new Error('the renewed credentials cannot be read back');
      this.current = loaded;
      this.failures = 0;
      this.renewals++;
      log.info({ notAfter: new Date(loaded.notAfter).toISOString() }, 'agent certificate renewed; reconnecting with it (tasks are not touched)');
      this.opts.onRenewed(loaded);
      this.schedule(renewalTime(loaded));
    } catch (err) {
      if (this.stopped) return;
      this.failures++;
      const left = this.current.notAfter - this.now();
      const details = (err as { details?: string }).details ?? (err as Error).message;
      if (left <= 0) {
        log.error({ err: details }, 'the agent certificate has expired: this host must join again with a new token (stevedore cluster join-token create)');
      } else {
        log.warn({ err: details, expiresInMs: left }, 'certificate renewal failed; retrying');
      }
      const base = this.opts.retryMs ?? 5000;
      const delay = Math.min(base * 2 ** (this.failures - 1), Math.max(base, Math.floor(Math.max(left, 0) / 10)), 3600_000);
      this.schedule(this.now() + delay);
    }
  }
}
