import { createPrivateKey, randomUUID, X509Certificate, type KeyObject } from 'node:crypto';
import { InvalidParameterException, StevedoreError } from '@stevedore/core';
import type { Action, ApiContext } from '../context';
import { Params } from '../params';
import { decodeToken, encodeToken, isString } from '../paging';
import type { StoredCertificate } from '../../store/certificates-repo';

export const ACM_TARGET_PREFIX = 'CertificateManager.';

/** ACM's JSON answers bad input with ValidationException. */
function acmAction(fn: (ctx: ApiContext, p: Params) => unknown): Action {
  return (ctx, body) => {
    try {
      return fn(ctx, Params.of(body));
    } catch (e) {
      if (e instanceof InvalidParameterException) throw new StevedoreError('ValidationException', e.message, e.field === undefined ? {} : { field: e.field });
      throw e;
    }
  };
}

const invalid = (message: string, field: string) => new StevedoreError('ValidationException', message, { field });
const ARN = /^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** A blob member as the JSON protocol sends it (base64), decoded to text; at most `max` bytes. */
function blob(p: Params, name: string, max: number, required: boolean): string | undefined {
  const v = p.string(name, { required, max: Math.ceil((max * 4) / 3) + 4 });
  if (v === undefined) return undefined;
  const text = Buffer.from(v, 'base64').toString('utf8');
  if (text.length === 0) throw invalid(`${name} must not be empty.`, name);
  return text;
}

function certificateArn(ctx: ApiContext, p: Params, required: true): string;
function certificateArn(ctx: ApiContext, p: Params, required: false): string | undefined;
function certificateArn(ctx: ApiContext, p: Params, required: boolean): string | undefined {
  const arn = p.string('CertificateArn', { required, max: 2048 });
  if (arn === undefined) return undefined;
  if (!ARN.test(arn)) throw new StevedoreError('InvalidArnException', `${arn.slice(0, 256)} is not a valid certificate ARN.`, { field: 'CertificateArn' });
  void ctx;
  return arn;
}

function notFound(arn: string): StevedoreError {
  return new StevedoreError('ResourceNotFoundException', `Could not find certificate ${arn}.`, { field: 'CertificateArn' });
}

function keyAlgorithm(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return `RSA_${d.modulusLength ?? 2048}`;
  if (key.asymmetricKeyType === 'ec') return d.namedCurve === 'prime256v1' ? 'EC_prime256v1' : d.namedCurve === 'secp384r1' ? 'EC_secp384r1' : `EC_${d.namedCurve ?? 'unknown'}`;
  return String(key.asymmetricKeyType ?? 'unknown').toUpperCase();
}

/** The certificate, chain and key of an import, checked: parseable, the key matches, the chain is certificates. */
function readImport(p: Params): { cert: X509Certificate; certificate: string; chain?: string; key: string; keyObject: KeyObject } {
  const certificate = blob(p, 'Certificate', 32_768, true)!;
  const key = blob(p, 'PrivateKey', 5_120, true)!;
  const chain = blob(p, 'CertificateChain', 2_097_152, false);
  const blocks = certificate.match(PEM_BLOCK) ?? [];
  if (blocks.length !== 1) throw invalid('Certificate must be one PEM-encoded X.509 certificate.', 'Certificate');
  let cert: X509Certificate;
  let keyObject: KeyObject;
  try {
    cert = new X509Certificate(blocks[0]!);
  } catch {
    throw invalid('Certificate is not a valid PEM-encoded X.509 certificate.', 'Certificate');
  }
  try {
    keyObject = createPrivateKey(key);
  } catch {
    throw invalid('PrivateKey is not a valid unencrypted PEM private key.', 'PrivateKey');
  }
  if (!cert.checkPrivateKey(keyObject)) throw invalid('The private key does not match the certificate.', 'PrivateKey');
  if (chain !== undefined) {
    const parts = chain.match(PEM_BLOCK) ?? [];
    if (parts.length === 0) throw invalid('CertificateChain must be PEM-encoded X.509 certificates.', 'CertificateChain');
    for (const c of parts) {
      try {
        new X509Certificate(c);
      } catch {
        throw invalid('CertificateChain contains a certificate that is not valid.', 'CertificateChain');
      }
    }
    return { cert, certificate: blocks[0]!, chain: parts.join('\n'), key, keyObject };
  }
  return { cert, certificate: blocks[0]!, key, keyObject };
}

function dnsNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
}

const seconds = (ms: number) => ms / 1000;

/** Listeners that use a certificate (ACM's InUseBy). */
function usersOf(ctx: ApiContext, arn: string): string[] {
  return ctx.store.loadBalancers.state().listeners.filter((l) => (l.certificates ?? []).includes(arn)).map((l) => l.arn);
}

/**
 * ImportCertificate: a PEM certificate, its private key and chain. With
 * CertificateArn it re-imports (rotation): the same ARN, so listeners keep
 * naming it and their hosts reload with the new certificate.
 */
export const importCertificate = acmAction((ctx, p) => {
  const existingArn = certificateArn(ctx, p, false);
  const { cert, certificate, chain, key, keyObject } = readImport(p);
  const tags = (p.list('Tags', { max: 50 }) ?? []).map((t, i) => {
    const tp = Params.of(t);
    const value = tp.string('Value', { max: 256 });
    return { key: tp.requiredString('Key', { max: 128 }), ...(value !== undefined ? { value } : {}) };
  });
  if (existingArn && tags.length > 0) throw invalid('You cannot specify tags when re-importing a certificate.', 'Tags');
  const now = ctx.clock.now();
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  const sans = dnsNames(cert);
  return ctx.store.tx(() => {
    const old = existingArn ? ctx.store.certificates.get(existingArn) : undefined;
    if (existingArn && !old) throw notFound(existingArn);
    const arn = existingArn ?? `arn:aws:acm:${ctx.arn.region}:${ctx.arn.account}:certificate/${randomUUID()}`;
    const stored: StoredCertificate = {
      arn,
      domainName: cn ?? sans[0] ?? '',
      subjectAlternativeNames: sans.length > 0 ? sans : cn ? [cn] : [],
      serial: cert.serialNumber.toLowerCase().replace(/(..)(?=.)/g, '$1:'),
      subject: cert.subject.split('\n').join(','),
      issuer: cert.issuer.split('\n').join(','),
      notBefore: Date.parse(cert.validFrom),
      notAfter: Date.parse(cert.validTo),
      keyAlgorithm: keyAlgorithm(keyObject),
      signatureAlgorithm: cert.publicKey.asymmetricKeyType === 'ec' ? 'SHA256WITHECDSA' : 'SHA256WITHRSA',
      certificate,
      ...(chain !== undefined ? { chain } : {}),
      ...(old?.tags ? { tags: old.tags } : tags.length > 0 ? { tags } : {}),
      createdAt: old?.createdAt ?? now,
      importedAt: now,
    };
    ctx.store.certificates.put(stored, key, randomUUID());
    ctx.log.info({ certificate: arn, domain: stored.domainName, reimport: old !== undefined }, 'certificate imported');
    return { CertificateArn: arn };
  });
});

function status(c: StoredCertificate, now: number): string {
  return c.notAfter < now ? 'EXPIRED' : 'ISSUED';
}

export const describeCertificate = acmAction((ctx, p) => {
  const arn = certificateArn(ctx, p, true);
  const c = ctx.store.certificates.get(arn);
  if (!c) throw notFound(arn);
  return {
    Certificate: {
      CertificateArn: c.arn,
      DomainName: c.domainName,
      SubjectAlternativeNames: c.subjectAlternativeNames,
      Serial: c.serial,
      Subject: c.subject,
      Issuer: c.issuer,
      CreatedAt: seconds(c.createdAt),
      ImportedAt: seconds(c.importedAt),
      Status: status(c, ctx.clock.now()),
      NotBefore: seconds(c.notBefore),
      NotAfter: seconds(c.notAfter),
      KeyAlgorithm: c.keyAlgorithm,
      SignatureAlgorithm: c.signatureAlgorithm,
      InUseBy: usersOf(ctx, c.arn),
      Type: 'IMPORTED',
      RenewalEligibility: 'INELIGIBLE',
    },
  };
});

export const listCertificates = acmAction((ctx, p) => {
  const max = p.integer('MaxItems', { min: 1, max: 1000 }) ?? 1000;
  const after = decodeToken(p.string('NextToken', { max: 10_000 }), isString);
  const statuses = p.stringList('CertificateStatuses');
  const now = ctx.clock.now();
  const rows = ctx.store.certificates.list(after, max + 1);
  const page = rows.slice(0, max);
  return {
    CertificateSummaryList: page
      .filter((c) => !statuses || statuses.includes(status(c, now)))
      .map((c) => ({
        CertificateArn: c.arn,
        DomainName: c.domainName,
        SubjectAlternativeNameSummaries: c.subjectAlternativeNames,
        Status: status(c, now),
        Type: 'IMPORTED',
        KeyAlgorithm: c.keyAlgorithm,
        InUse: usersOf(ctx, c.arn).length > 0,
        NotBefore: seconds(c.notBefore),
        NotAfter: seconds(c.notAfter),
        CreatedAt: seconds(c.createdAt),
        ImportedAt: seconds(c.importedAt),
      })),
    ...(rows.length > max ? { NextToken: encodeToken(page[page.length - 1]!.arn) } : {}),
  };
});

/** GetCertificate: the public parts only; the private key never leaves through the API. */
export const getCertificate = acmAction((ctx, p) => {
  const arn = certificateArn(ctx, p, true);
  const c = ctx.store.certificates.get(arn);
  if (!c) throw notFound(arn);
  return { Certificate: c.certificate, ...(c.chain !== undefined ? { CertificateChain: c.chain } : {}) };
});

export const deleteCertificate = acmAction((ctx, p) => {
  const arn = certificateArn(ctx, p, true);
  return ctx.store.tx(() => {
    if (!ctx.store.certificates.get(arn)) throw notFound(arn);
    const users = usersOf(ctx, arn);
    if (users.length > 0) throw new StevedoreError('ResourceInUseException', `Certificate ${arn} is in use by ${users[0]}.`, { field: 'CertificateArn' });
    ctx.store.certificates.delete(arn);
    ctx.log.info({ certificate: arn }, 'certificate deleted');
    return {};
  });
});

/** ACM's operations (JSON 1.1, `X-Amz-Target: CertificateManager.<Op>`, signed for `acm`), authorized as `acm:<Op>`. */
export const ACM_ACTIONS: Record<string, Action> = Object.fromEntries(
  Object.entries({
    ImportCertificate: importCertificate,
    DescribeCertificate: describeCertificate,
    ListCertificates: listCertificates,
    GetCertificate: getCertificate,
    DeleteCertificate: deleteCertificate,
  } satisfies Record<string, Action>).map(([op, fn]) => [`${ACM_TARGET_PREFIX}${op}`, fn]),
);
