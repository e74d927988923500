/**
 * ELB's security policies (DescribeSSLPolicies), and what each one means
 * for HAProxy's `bind ... ssl`: the TLS versions (ssl-min-ver/ssl-max-ver),
 * the TLS 1.2-and-below cipher list (`ciphers`, OpenSSL names, which ELB's
 * names are) and the TLS 1.3 suites (`ciphersuites`). Names, protocols and
 * ciphers are ELB's documented ones, in ELB's priority order.
 */
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface SslPolicy {
  name: string;
  protocols: TlsVersion[];
  /** TLS 1.2 and below, then TLS 1.3 suites, in priority order. */
  ciphers: string[];
}

const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];
const TLS12_STRONG = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES128-SHA256',
  'ECDHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA384',
];
const LEGACY_2016 = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES128-SHA256',
  'ECDHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA',
  'ECDHE-ECDSA-AES256-SHA',
  'AES128-GCM-SHA256',
  'AES128-SHA256',
  'AES128-SHA',
  'AES256-GCM-SHA384',
  'AES256-SHA256',
  'AES256-SHA',
];
const RSA_GCM_CBC = ['AES128-GCM-SHA256', 'AES128-SHA256', 'AES256-GCM-SHA384', 'AES256-SHA256'];

export const SSL_POLICIES: readonly SslPolicy[] = [
  { name: 'ELBSecurityPolicy-TLS13-1-2-2021-06', protocols: ['TLSv1.2', 'TLSv1.3'], ciphers: [...TLS13_SUITES, ...TLS12_STRONG, ...RSA_GCM_CBC] },
  { name: 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06', protocols: ['TLSv1.2', 'TLSv1.3'], ciphers: [...TLS13_SUITES, ...TLS12_STRONG.filter((c) => c.includes('GCM'))] },
  { name: 'ELBSecurityPolicy-TLS13-1-3-2021-06', protocols: ['TLSv1.3'], ciphers: [...TLS13_SUITES] },
  { name: 'ELBSecurityPolicy-2016-08', protocols: ['TLSv1', 'TLSv1.1', 'TLSv1.2'], ciphers: LEGACY_2016 },
  { name: 'ELBSecurityPolicy-TLS-1-1-2017-01', protocols: ['TLSv1.1', 'TLSv1.2'], ciphers: LEGACY_2016 },
  { name: 'ELBSecurityPolicy-TLS-1-2-2017-01', protocols: ['TLSv1.2'], ciphers: [...TLS12_STRONG, ...RSA_GCM_CBC] },
  { name: 'ELBSecurityPolicy-TLS-1-2-Ext-2018-06', protocols: ['TLSv1.2'], ciphers: [...TLS12_STRONG, 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA', 'ECDHE-ECDSA-AES256-SHA', ...RSA_GCM_CBC, 'AES128-SHA', 'AES256-SHA'] },
  { name: 'ELBSecurityPolicy-FS-1-2-Res-2020-10', protocols: ['TLSv1.2'], ciphers: TLS12_STRONG.filter((c) => c.includes('GCM')) },
];

/** ELB's default for a new HTTPS or TLS listener without an SslPolicy. */
export const DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

const BY_NAME: ReadonlyMap<string, SslPolicy> = new Map(SSL_POLICIES.map((p) => [p.name, p]));

/** A policy by request-supplied name (a Map: `constructor` finds nothing). */
export function sslPolicyOf(name: string): SslPolicy | undefined {
  return BY_NAME.get(name);
}

const HAPROXY_VERSION: Record<TlsVersion, string> = { TLSv1: 'TLSv1.0', 'TLSv1.1': 'TLSv1.1', 'TLSv1.2': 'TLSv1.2', 'TLSv1.3': 'TLSv1.3' };

/** HAProxy `bind` options for a policy: versions, TLS ≤1.2 ciphers, TLS 1.3 suites. */
export function haproxyTlsOptions(policy: SslPolicy): string[] {
  const order: TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  const versions = order.filter((v) => policy.protocols.includes(v));
  const out = [`ssl-min-ver ${HAPROXY_VERSION[versions[0]!]}`, `ssl-max-ver ${HAPROXY_VERSION[versions[versions.length - 1]!]}`];
  const legacy = policy.ciphers.filter((c) => !c.startsWith('TLS_'));
  const suites = policy.ciphers.filter((c) => c.startsWith('TLS_'));
  if (legacy.length > 0) out.push(`ciphers ${legacy.join(':')}`);
  if (suites.length > 0) out.push(`ciphersuites ${suites.join(':')}`);
  return out;
}
