export * from './service-view';
export * from './instance-liveness';
export * from './instance-index';
export * from './throttle';
export * from './reconcile-service';
export { isInactive } from './reconcile-common';
export * from './retention';
export { planDeployment, finishDeployment, deploymentOptions, type DeploymentPlan } from './deployment-plan';
