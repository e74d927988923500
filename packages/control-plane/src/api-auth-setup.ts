import * as path from 'node:path';
import type { Logger } from 'pino';
import type { ArnContext } from '@stevedore/core';
import type { Store } from './store/store';
import { loadOrCreateMasterKey, type SecretBox } from './store/secret-box';
import type { ControlPlaneConfig } from './config';
import { ApiAuth } from './api/auth/api-auth';
import { bootstrapAdminKey } from './api/auth/access-keys';
import { isLoopbackHost } from './api/auth/loopback';


/** The data dir's master key, or undefined for an in-memory store (a throwaway key then). */
export function openSecretBox(config: Pick<ControlPlaneConfig, 'dataDir'>): SecretBox | undefined {
  return config.dataDir === ':memory:' ? undefined : loadOrCreateMasterKey(config.dataDir).box;
}

export function adminCredentialsFileOf(config: Pick<ControlPlaneConfig, 'dataDir' | 'adminCredentialsFile'>): string | undefined {
  if (config.adminCredentialsFile) return path.resolve(config.adminCredentialsFile);
  return config.dataDir === ':memory:' ? undefined : path.join(config.dataDir, 'admin-credentials');
}

export function createApiAuth(store: Store, config: ControlPlaneConfig, log: Logger): ApiAuth {
  if (config.insecureDisableAuth && !isLoopbackHost(config.apiListen.host)) {
    throw new Error(`--insecure-disable-auth is refused: the API listens on ${config.apiListen.host}, not on a loopback address`);
  }
  const arn: ArnContext = { region: config.region, account: config.account };
  return new ApiAuth(store, arn, store.clock, log.child({ component: 'api-auth' }), {
    enabled: !config.insecureDisableAuth,
    ...(config.apiRateLimit ? { rateLimit: config.apiRateLimit } : {}),
    ...(config.apiFailedAuthRateLimit ? { failedAuthRateLimit: config.apiFailedAuthRateLimit } : {}),
  });
}

/**
 * Before the API listens: the master key must open the stored secrets (a
 * replaced or lost key file is reported, not papered over with new keys), and
 * on first start the admin access key is created and written out.
 */
export function prepareAdminAccess(store: Store, config: ControlPlaneConfig, log: Logger): void {
  try {
    store.iam.checkMasterKey();
  } catch {
    throw new Error(`the master key in ${path.join(config.dataDir, 'keys', 'master.key')} does not open the access keys stored in the database (was the key file replaced or restored from another host? Replicas sharing one store all need the same keys/master.key)`);
  }
  bootstrapAdminKey(store, adminCredentialsFileOf(config), store.clock.now(), log.child({ component: 'api-auth' }));
  if (config.insecureDisableAuth) {
    log.warn(
      { api: `${config.apiListen.host}:${config.apiListen.port}` },
      'API AUTHENTICATION IS DISABLED (--insecure-disable-auth): every local process can do anything; use this for benchmarks only',
    );
  }
}
