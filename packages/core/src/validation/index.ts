export { validateRegisterTaskDefinition, MAX_CONTAINERS_PER_TASK_DEFINITION } from './register-task-definition';
export { computeCompatibilities, fargateIncompatibilities, externalIncompatibilities, type Incompatibility } from './compatibilities';
export { computeRequiresAttributes } from './requires-attributes';
export { unsupportedFeatures, SUPPORTED_LOG_DRIVERS } from './unsupported-features';
export {
  hostAccessOf,
  hostAccessSettingOf,
  hostAccessViolations,
  isRuntimeSocketPath,
  ALL_HOST_ACCESS,
  DOCKER_DEFAULT_CAPABILITIES,
  HOST_ACCESS_SETTINGS,
  NAMESPACED_IPC_SYSTEM_CONTROLS,
  NO_HOST_ACCESS,
  SAFE_SECURITY_OPTIONS,
  type HostAccessSubject,
  type HostAccessViolation,
} from './host-access';
export {
  applyOverrides,
  validateOverrides,
  mergeEnvironment,
  MAX_OVERRIDES_LENGTH,
  type ContainerOverrideInput,
  type TaskOverrideInput,
} from './overrides';
export { taskReservation, type TaskReservation, type HostPortReservation } from './task-reservation';
export { readTags, MAX_TAGS, MAX_PLACEMENT_CONSTRAINTS } from './task-level';
export { parseCpuUnits, parseMemoryMiB, isFargateSize, FARGATE_TIERS } from './task-size';
export {
  MAX_CUSTOM_ATTRIBUTES,
  ATTRIBUTE_NAME_RULE,
  ATTRIBUTE_VALUE_RULE,
  isAttributeName,
  isAttributeValue,
  isBuiltInAttribute,
  mergeAgentAttributes,
} from './instance-attributes';
