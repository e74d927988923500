/**
 * IAM identity-policy documents and their evaluation, pure: the API
 * authorizes requests with it, and roles that act under a built-in identity
 * (the autoscaler's service-linked role) check their own policy with the same
 * code before each write.
 */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string[];
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

/**
 * IAM wildcard match: `*` any run, `?` one character; actions compare
 * case-insensitively. The classic two-pointer matcher, O(pattern x value) at
 * worst, so no policy can make a regular expression backtrack for ever.
 */
export function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  let pi = 0;
  let vi = 0;
  let star = -1;
  let mark = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === v[vi])) {
      pi++;
      vi++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = vi;
    } else if (star >= 0) {
      pi = star + 1;
      vi = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

export function evaluate(policy: PolicyDocument, action: string, resource: string): Decision {
  let allowed = false;
  for (const st of policy.Statement) {
    if (!st.Action.some((a) => wildcardMatch(a, action, true))) continue;
    if (!st.Resource.some((r) => wildcardMatch(r, resource, false))) continue;
    if (st.Effect === 'Deny') return 'explicit-deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/**
 * IAM's AccessDenied wording, naming the principal, the action and the
 * resource; shared by the API and by components that act under a role (the
 * agent's execution role).
 */
export function denialMessage(principalArn: string, action: string, resource: string, decision: Exclude<Decision, 'allow'>): string {
  const why = decision === 'explicit-deny' ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${action} action`;
  return `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
}

/**
 * IAM with a permissions boundary: allowed only when both the policy and the
 * boundary allow; an explicit Deny in either wins. Without a boundary, the
 * policy alone decides.
 */
export function evaluateBounded(policy: PolicyDocument, boundary: PolicyDocument | undefined, action: string, resource: string): Decision {
  const own = evaluate(policy, action, resource);
  if (boundary === undefined) return own;
  const bound = evaluate(boundary, action, resource);
  if (own === 'explicit-deny' || bound === 'explicit-deny') return 'explicit-deny';
  return own === 'allow' && bound === 'allow' ? 'allow' : 'implicit-deny';
}
