/**
 * Which console actions the signed-in key may take, from its own policy as
 * the API evaluates it (Stevedore_20261125.GetCallerPermissions). Only a
 * hint for what to show: the API still authorizes every request.
 */
export const UI_ACTIONS = {
  deploy: ['ecs:UpdateService', 'ecs:RegisterTaskDefinition'],
  scale: ['ecs:UpdateService'],
  forceNewDeployment: ['ecs:UpdateService'],
  rollback: ['ecs:UpdateService'],
  createService: ['ecs:CreateService'],
  stopTask: ['ecs:StopTask'],
  registerTaskDefinition: ['ecs:RegisterTaskDefinition'],
  drainInstance: ['ecs:UpdateContainerInstancesState'],
  exec: ['ecs:ExecuteCommand'],
} as const;

export type UiAction = keyof typeof UI_ACTIONS;
export type Capabilities = Readonly<Record<UiAction, boolean>>;

export interface EvaluationResult {
  evalActionName: string;
  evalResourceName: string;
  evalDecision: 'allowed' | 'explicitDeny' | 'implicitDeny' | string;
}

/** Every IAM action the UI asks about, once each. */
export function actionsToCheck(): string[] {
  return [...new Set(Object.values(UI_ACTIONS).flat())];
}

/**
 * A UI action is offered when every API action it takes is allowed on at
 * least one of the evaluated resources (a key scoped to some clusters still
 * gets its buttons; the API refuses the rest with AccessDenied).
 */
export function capabilitiesFrom(results: readonly EvaluationResult[]): Capabilities {
  const allowed = new Set(results.filter((r) => r.evalDecision === 'allowed').map((r) => r.evalActionName));
  const out = {} as Record<UiAction, boolean>;
  for (const [ui, actions] of Object.entries(UI_ACTIONS) as [UiAction, readonly string[]][]) out[ui] = actions.every((a) => allowed.has(a));
  return out;
}

/** Nothing but reads: the console shows no action at all and says so. */
export function isReadOnly(c: Capabilities): boolean {
  return Object.values(c).every((v) => !v);
}

export const NO_CAPABILITIES: Capabilities = capabilitiesFrom([]);
