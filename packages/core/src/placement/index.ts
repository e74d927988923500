export * from './resources';
export * from './pipeline';
