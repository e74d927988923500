/**
 * A role reference as task definitions carry it: an IAM role ARN
 * (`arn:aws:iam::<account>:role/[path/]name`) or, as ECS accepts, a bare
 * name. The account of an ARN is not trusted (roles are this Stevedore's).
 */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::[^:/]*:role\/((?:[\w+=,.@-]{1,512}\/)*)([\w+=,.@-]{1,64})$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** The role's name (without its path), or undefined when `ref` names no role. */
export function roleNameOf(ref: string): string | undefined {
  const m = ROLE_ARN.exec(ref);
  if (m) return m[2]!;
  return ROLE_NAME.test(ref) ? ref : undefined;
}
