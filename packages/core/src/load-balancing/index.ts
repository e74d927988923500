export * from './elb-arns';
export * from './health-check';
export * from './rules';
export * from './target-health';
export * from './drain-hold';
export * from './host-config';
export * from './reconcile-targets';
export * from './ssl-policies';
