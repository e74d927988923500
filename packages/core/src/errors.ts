/**
 * The error hierarchy every layer throws. `code` is the ECS error type the API
 * returns as `__type`; `field` is the request path that was wrong, so users see
 * which part of their JSON to fix. The API maps these in one place, the
 * dispatcher maps them to gRPC status codes in one place.
 */
export type EcsErrorCode =
  | 'ClientException'
  | 'InvalidParameterException'
  | 'ClusterNotFoundException'
  | 'ClusterContainsContainerInstancesException'
  | 'ClusterContainsServicesException'
  | 'ClusterContainsTasksException'
  | 'ServiceNotFoundException'
  | 'ServiceNotActiveException'
  | 'ResourceNotFoundException'
  | 'ResourceAlreadyExistsException'
  | 'ResourceInUseException'
  | 'ConflictException'
  | 'AccessDeniedException'
  | 'UnsupportedFeatureException'
  | 'AttributeLimitExceededException'
  | 'TargetNotFoundException'
  | 'UnknownOperationException'
  | 'SerializationException'
  | 'RequestEntityTooLargeException'
  | 'ThrottlingException'
  | 'LimitExceededException'
  | 'TargetNotConnectedException'
  | 'UnrecognizedClientException'
  | 'ExpiredTokenException'
  | 'InvalidSignatureException'
  | 'ServerException'
  | SecretsManagerErrorCode
  | ElbErrorCode
  | QueryErrorCode
  | ApplicationAutoScalingErrorCode
  | SchedulerErrorCode;

/** EventBridge Scheduler (REST-JSON) answers with its model's error names (ValidationException, ConflictException... are shared). */
export type SchedulerErrorCode = 'ServiceQuotaExceededException' | 'InternalServerException';

/**
 * AWS Query protocol services (CloudWatch; api/protocols/query.ts) answer
 * with the codes of their models: the protocol's own (MissingAction,
 * InvalidAction) and CloudWatch's validation and lookup errors.
 */
export type QueryErrorCode =
  | 'MissingAction'
  | 'InvalidAction'
  | 'InvalidParameterValue'
  | 'MissingParameter'
  | 'InvalidParameterCombination'
  | 'ResourceNotFound'
  | 'LimitExceeded'
  | 'InvalidNextToken'
  | 'InvalidFormat';

/** Application Auto Scaling operations (AnyScaleFrontendService.*) answer with its error names. */
export type ApplicationAutoScalingErrorCode =
  | 'ValidationException'
  | 'ObjectNotFoundException'
  | 'ConcurrentUpdateException'
  | 'FailedResourceAccessException'
  | 'InternalServiceException';

/** The Secrets Manager operations (secretsmanager.*) answer with its error names. */
export type SecretsManagerErrorCode = 'ResourceExistsException' | 'InvalidRequestException' | 'DecryptionFailure' | 'InternalServiceError';

/** Load balancer operations answer with ELBv2's error names (the SDK exception names, and ValidationError). */
export type ElbErrorCode =
  | 'ValidationError'
  | 'DuplicateLoadBalancerNameException'
  | 'DuplicateTargetGroupNameException'
  | 'DuplicateListenerException'
  | 'PriorityInUseException'
  | 'InvalidConfigurationRequestException'
  | 'IncompatibleProtocolsException'
  | 'InvalidTargetException'
  | 'LoadBalancerNotFoundException'
  | 'TargetGroupNotFoundException'
  | 'ListenerNotFoundException'
  | 'RuleNotFoundException'
  | 'TooManyTargetGroupsException'
  | 'OperationNotPermittedException'
  | 'TooManyTagsException'
  | 'DuplicateTagKeysException'
  | 'SSLPolicyNotFoundException'
  | 'CertificateNotFoundException'
  | 'InvalidArnException'
  | 'InvalidLoadBalancerActionException'
  | 'TooManyCertificatesException'
  | 'TooManyListenersException';

export class StevedoreError extends Error {
  override readonly name: string = 'StevedoreError';
  constructor(
    readonly code: EcsErrorCode,
    message: string,
    readonly options: { field?: string; retryable?: boolean; httpStatus?: number; extra?: Record<string, unknown> } = {},
  ) {
    super(message);
  }
  get field(): string | undefined {
    return this.options.field;
  }
  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
  get httpStatus(): number {
    return this.options.httpStatus ?? (this.code === 'ServerException' ? 500 : 400);
  }
}

/** Catch-all client error, the one ECS uses for most semantic mistakes. */
export class ClientException extends StevedoreError {
  override readonly name = 'ClientException';
  constructor(message: string, field?: string) {
    super('ClientException', message, field === undefined ? {} : { field });
  }
}

/** A request field that breaks a documented rule (type, range, pattern). */
export class InvalidParameterException extends StevedoreError {
  override readonly name = 'InvalidParameterException';
  constructor(message: string, field?: string) {
    super('InvalidParameterException', message, field === undefined ? {} : { field });
  }
}

export class NotFoundError extends StevedoreError {
  override readonly name = 'NotFoundError';
  constructor(code: EcsErrorCode, message: string) {
    super(code, message);
  }
}

export class ConflictError extends StevedoreError {
  override readonly name = 'ConflictError';
  constructor(message: string, extra?: Record<string, unknown>) {
    super('ConflictException', message, extra === undefined ? {} : { extra });
  }
}

export class ServerError extends StevedoreError {
  override readonly name = 'ServerError';
  constructor(message: string) {
    super('ServerException', message, { retryable: true, httpStatus: 500 });
  }
}

export function isStevedoreError(e: unknown): e is StevedoreError {
  return e instanceof StevedoreError;
}
