import { SSL_POLICIES, sslPolicyOf, StevedoreError, type SslPolicy } from '@stevedore/core';
import { elbAction } from './elb-input';

function policyJson(p: SslPolicy) {
  return {
    Name: p.name,
    SslProtocols: p.protocols,
    Ciphers: p.ciphers.map((Name, i) => ({ Name, Priority: i + 1 })),
    SupportedLoadBalancerTypes: ['application', 'network'],
  };
}

/** DescribeSSLPolicies: ELB's security policies Stevedore maps to HAProxy's TLS settings (core/load-balancing/ssl-policies.ts). */
export const describeSslPolicies = elbAction((_ctx, p) => {
  const names = p.stringList('Names', { max: 100 });
  const type = p.string('LoadBalancerType', { enum: ['application', 'network', 'gateway'] });
  if (type === 'gateway') return { SslPolicies: [] };
  if (names) {
    const found = names.map((n) => sslPolicyOf(n));
    const missing = names.find((_, i) => !found[i]);
    if (missing !== undefined) throw new StevedoreError('SSLPolicyNotFoundException', `SSL policy '${missing.slice(0, 256)}' not found`, { field: 'Names' });
    return { SslPolicies: (found as SslPolicy[]).map(policyJson) };
  }
  return { SslPolicies: SSL_POLICIES.map(policyJson) };
});
