import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';

/** Defined by the release build (scripts/package): its bundles carry the .proto files in a proto/ folder beside them. */
declare const STEVEDORE_BUNDLE: boolean | undefined;

/** Path of the proto/ folder: beside a release bundle, else the repository's (two levels above dist/). */
export const PROTO_ROOT = typeof STEVEDORE_BUNDLE !== 'undefined' ? path.join(__dirname, 'proto') : path.resolve(__dirname, '..', '..', '..', 'proto');

export const DISPATCHER_PROTO = 'stevedore/agent/v1/dispatcher.proto';

export const METADATA_INSTANCE_ID = 'stevedore-instance-id';
export const METADATA_SESSION_ID = 'stevedore-session-id';

let cached: grpc.GrpcObject | undefined;

function loadRoot(): grpc.GrpcObject {
  if (!cached) {
    const def = protoLoader.loadSync(DISPATCHER_PROTO, {
      includeDirs: [PROTO_ROOT],
      keepCase: true,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    cached = grpc.loadPackageDefinition(def);
  }
  return cached;
}

type Ctor = grpc.ServiceClientConstructor;

export function dispatcherService(): grpc.ServiceDefinition {
  return dispatcherClientCtor().service;
}

export function dispatcherClientCtor(): Ctor {
  const root = loadRoot() as unknown as { stevedore: { agent: { v1: { Dispatcher: Ctor } } } };
  return root.stevedore.agent.v1.Dispatcher;
}

export { grpc };
export * from './wire-types';
export * from './task-convert';
export * from './exec-wire-types';
export * from './load-balancer-convert';
export * from './channel-pki';
export * from './reconnect';
