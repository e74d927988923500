export { run, reportError, VERSION } from './cli';
export { ApiClient, ApiError, TransportError, ECS_TARGET_PREFIX, STEVEDORE_TARGET_PREFIX, DEFAULT_ENDPOINT } from './api-client';
export type { RequestSigner, SignableRequest, ApiClientOptions } from './api-client';
export type { Io, Writer } from './context';
