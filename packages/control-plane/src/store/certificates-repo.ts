import type { Db } from './db';
import type { SecretBox } from './secret-box';

/** An imported certificate's metadata and public parts (ACM DescribeCertificate/GetCertificate). */
export interface StoredCertificate {
  arn: string;
  domainName: string;
  subjectAlternativeNames: string[];
  serial: string;
  subject: string;
  issuer: string;
  notBefore: number;
  notAfter: number;
  keyAlgorithm: string;
  signatureAlgorithm: string;
  /** PEM certificate and chain (public). */
  certificate: string;
  chain?: string;
  tags?: { key: string; value?: string }[];
  createdAt: number;
  importedAt: number;
}

interface Row {
  arn: string;
  spec_json: string;
  key_sealed: string;
  import_id: string;
}

const context = (arn: string, importId: string) => `certificate:${arn}:${importId}`;

/** Metadata in the clear, keys only sealed; `pem()` is the one place a key is opened. */
export class CertificatesRepo {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly changed: () => void,
  ) {}

  get(arn: string): StoredCertificate | undefined {
    const r = this.db.prepare('SELECT spec_json FROM certificates WHERE arn = ?').get(arn) as Pick<Row, 'spec_json'> | undefined;
    return r && (JSON.parse(r.spec_json) as StoredCertificate);
  }

  list(afterArn: string | undefined, limit: number): StoredCertificate[] {
    return (this.db.prepare('SELECT spec_json FROM certificates WHERE arn > ? ORDER BY arn LIMIT ?').all(afterArn ?? '', limit) as Row[]).map((r) => JSON.parse(r.spec_json) as StoredCertificate);
  }

  /** Import or re-import (same ARN, new certificate and key: rotation). */
  put(c: StoredCertificate, privateKey: string, importId: string): void {
    this.db
      .prepare(
        `INSERT INTO certificates(arn, domain_name, spec_json, key_sealed, import_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(arn) DO UPDATE SET domain_name = excluded.domain_name, spec_json = excluded.spec_json, key_sealed = excluded.key_sealed, import_id = excluded.import_id`,
      )
      .run(c.arn, c.domainName, JSON.stringify(c), this.box.seal(privateKey, context(c.arn, importId)), importId, c.createdAt);
    this.changed();
  }

  /** Certificate, chain and private key as one PEM file for HAProxy: only for delivery to load balancer hosts. */
  pem(arn: string): string | undefined {
    const r = this.db.prepare('SELECT spec_json, key_sealed, import_id FROM certificates WHERE arn = ?').get(arn) as Row | undefined;
    if (!r) return undefined;
    const c = JSON.parse(r.spec_json) as StoredCertificate;
    const key = this.box.open(r.key_sealed, context(arn, r.import_id));
    return [c.certificate.trim(), c.chain?.trim(), key.trim()].filter((x) => x).join('\n') + '\n';
  }

  delete(arn: string): void {
    this.db.prepare('DELETE FROM certificates WHERE arn = ?').run(arn);
    this.changed();
  }
}
