export * from './model';
export * from './proposals';
export * from './decide-scaling';
export * from './service-linked-role';
