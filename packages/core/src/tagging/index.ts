export * from './tag-set';
