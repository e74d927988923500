export * from './strategy';
export * from './reservation';
export * from './scaling-decision';
export * from './termination';
export * from './host-group';
export * from './model';
export * from './provisioning';
