import type { Migration } from './migration';

/**
 * The certificate store (ACM-like API, `CertificateManager.*`): imported PEM
 * certificates and chains in the clear (they are public), private keys
 * sealed with AES-256-GCM under the master key (secret-box.ts) and bound to
 * the certificate's ARN and import, like secret values. Written only by the
 * API; read by the load balancing view, which delivers a listener's
 * certificates to the hosts of its load balancer alone.
 */
export const certificates: Migration = {
  version: 21,
  name: 'certificates',
  sql: `
    CREATE TABLE certificates (
      arn TEXT PRIMARY KEY,
      domain_name TEXT NOT NULL,
      spec_json TEXT NOT NULL,
      key_sealed TEXT NOT NULL,
      import_id TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );
  `,
};
