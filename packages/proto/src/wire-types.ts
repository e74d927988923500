/**
 * The agent channel's messages as both ends read and write them: the types
 * proto-loader-gen-types generates from proto/ (scripts/generate-proto-types.mjs,
 * run by `npm run build`), decoded as packages/proto/src/index.ts loads them
 * (keepCase, longs as numbers, enums as strings, defaults: every field present,
 * `optional` scalars undefined when unset, absent messages null). The
 * `__Output` shape is the one a receiver sees; senders build it too, so no
 * field is forgotten. Conversions to and from core live in the *-convert.ts
 * modules beside this one.
 */
import type { Resources__Output as WireResourcesOut } from './generated/stevedore/agent/v1/Resources';
import type { Attribute__Output as WireAttributeOut } from './generated/stevedore/agent/v1/Attribute';
import type { RegisterRequest__Output as RegisterRequestOut } from './generated/stevedore/agent/v1/RegisterRequest';
import type { RegisterResponse__Output as RegisterResponseOut } from './generated/stevedore/agent/v1/RegisterResponse';
import type { SessionRequest__Output as SessionRequestOut } from './generated/stevedore/agent/v1/SessionRequest';
import type { ContainerSecret__Output as WireContainerSecretOut } from './generated/stevedore/agent/v1/ContainerSecret';
import type { RegistryCredentials__Output as WireRegistryCredentialsOut } from './generated/stevedore/agent/v1/RegistryCredentials';
import type { Assignment__Output as WireAssignmentOut } from './generated/stevedore/agent/v1/Assignment';
import type { JoinRequest__Output as JoinRequestOut } from './generated/stevedore/agent/v1/JoinRequest';
import type { JoinResponse__Output as JoinResponseOut } from './generated/stevedore/agent/v1/JoinResponse';
import type { RenewCertificateRequest__Output as RenewCertificateRequestOut } from './generated/stevedore/agent/v1/RenewCertificateRequest';
import type { RenewCertificateResponse__Output as RenewCertificateResponseOut } from './generated/stevedore/agent/v1/RenewCertificateResponse';
import type { LogRequest__Output as LogRequestOut } from './generated/stevedore/agent/v1/LogRequest';
import type { SessionMessage__Output as SessionMessageOut } from './generated/stevedore/agent/v1/SessionMessage';
import type { LoadBalancerSet__Output as WireLoadBalancerSetOut } from './generated/stevedore/agent/v1/LoadBalancerSet';
import type { TargetHealthReport__Output as WireTargetHealthReportOut } from './generated/stevedore/agent/v1/TargetHealthReport';
import type { LoadBalancerStatus__Output as WireLoadBalancerStatusOut } from './generated/stevedore/agent/v1/LoadBalancerStatus';
import type { UpdateTargetHealthRequest__Output as UpdateTargetHealthRequestOut } from './generated/stevedore/agent/v1/UpdateTargetHealthRequest';
import type { UpdateTargetHealthResponse__Output as UpdateTargetHealthResponseOut } from './generated/stevedore/agent/v1/UpdateTargetHealthResponse';
import type { GetTaskCredentialsRequest__Output as GetTaskCredentialsRequestOut } from './generated/stevedore/agent/v1/GetTaskCredentialsRequest';
import type { GetTaskCredentialsResponse__Output as GetTaskCredentialsResponseOut } from './generated/stevedore/agent/v1/GetTaskCredentialsResponse';
import type { HeartbeatRequest__Output as HeartbeatRequestOut } from './generated/stevedore/agent/v1/HeartbeatRequest';
import type { HeartbeatResponse__Output as HeartbeatResponseOut } from './generated/stevedore/agent/v1/HeartbeatResponse';
import type { NetworkBinding__Output as WireNetworkBindingOut } from './generated/stevedore/agent/v1/NetworkBinding';
import type { ContainerStatus__Output as WireContainerStatusOut } from './generated/stevedore/agent/v1/ContainerStatus';
import type { TaskStatus__Output as WireTaskStatusOut } from './generated/stevedore/agent/v1/TaskStatus';
import type { UpdateTaskStatusRequest__Output as UpdateTaskStatusRequestOut } from './generated/stevedore/agent/v1/UpdateTaskStatusRequest';
import type { UpdateTaskStatusResponse__Output as UpdateTaskStatusResponseOut } from './generated/stevedore/agent/v1/UpdateTaskStatusResponse';
import type { TaskUsage__Output as WireTaskUsageOut } from './generated/stevedore/agent/v1/TaskUsage';
import type { ReportTaskUsageRequest__Output as ReportTaskUsageRequestOut } from './generated/stevedore/agent/v1/ReportTaskUsageRequest';
import type { ReportTaskUsageResponse__Output as ReportTaskUsageResponseOut } from './generated/stevedore/agent/v1/ReportTaskUsageResponse';
import type { LogChunk__Output as LogChunkOut } from './generated/stevedore/agent/v1/LogChunk';
import type { PushLogsResponse__Output as PushLogsResponseOut } from './generated/stevedore/agent/v1/PushLogsResponse';
import type { LogEventEntry__Output as WireLogEventEntryOut } from './generated/stevedore/agent/v1/LogEventEntry';
import type { LogEventsBatch__Output as WireLogEventsBatchOut } from './generated/stevedore/agent/v1/LogEventsBatch';
import type { PutLogEventsRequest__Output as PutLogEventsRequestOut } from './generated/stevedore/agent/v1/PutLogEventsRequest';
import type { LogBatchResult__Output as WireLogBatchResultOut } from './generated/stevedore/agent/v1/LogBatchResult';
import type { PutLogEventsResponse__Output as PutLogEventsResponseOut } from './generated/stevedore/agent/v1/PutLogEventsResponse';
import type { TaskSpec__Output as WireTaskSpecOut } from './generated/stevedore/agent/v1/TaskSpec';
import type { ContainerDefinition__Output as WireContainerDefinitionOut } from './generated/stevedore/agent/v1/ContainerDefinition';
import type { Volume__Output as WireVolumeOut } from './generated/stevedore/agent/v1/Volume';
import type { ResolvedEfsVolume__Output as WireResolvedEfsVolumeOut } from './generated/stevedore/agent/v1/ResolvedEfsVolume';

export type WireResources = WireResourcesOut;
export type WireAttribute = WireAttributeOut;
export type RegisterRequest = RegisterRequestOut;
export type RegisterResponse = RegisterResponseOut;
export type SessionRequest = SessionRequestOut;
export type WireContainerSecret = WireContainerSecretOut;
export type WireRegistryCredentials = WireRegistryCredentialsOut;
export type WireAssignment = WireAssignmentOut;
export type JoinRequest = JoinRequestOut;
export type JoinResponse = JoinResponseOut;
export type RenewCertificateRequest = RenewCertificateRequestOut;
export type RenewCertificateResponse = RenewCertificateResponseOut;
export type LogRequest = LogRequestOut;
export type SessionMessage = SessionMessageOut;
export type WireLoadBalancerSet = WireLoadBalancerSetOut;
export type WireTargetHealthReport = WireTargetHealthReportOut;
export type WireLoadBalancerStatus = WireLoadBalancerStatusOut;
export type UpdateTargetHealthRequest = UpdateTargetHealthRequestOut;
export type UpdateTargetHealthResponse = UpdateTargetHealthResponseOut;
export type GetTaskCredentialsRequest = GetTaskCredentialsRequestOut;
export type GetTaskCredentialsResponse = GetTaskCredentialsResponseOut;
export type HeartbeatRequest = HeartbeatRequestOut;
export type HeartbeatResponse = HeartbeatResponseOut;
export type WireNetworkBinding = WireNetworkBindingOut;
export type WireContainerStatus = WireContainerStatusOut;
export type WireTaskStatus = WireTaskStatusOut;
export type UpdateTaskStatusRequest = UpdateTaskStatusRequestOut;
export type UpdateTaskStatusResponse = UpdateTaskStatusResponseOut;
export type WireTaskUsage = WireTaskUsageOut;
export type ReportTaskUsageRequest = ReportTaskUsageRequestOut;
export type ReportTaskUsageResponse = ReportTaskUsageResponseOut;
export type LogChunk = LogChunkOut;
export type PushLogsResponse = PushLogsResponseOut;
export type WireLogEventEntry = WireLogEventEntryOut;
export type WireLogEventsBatch = WireLogEventsBatchOut;
export type PutLogEventsRequest = PutLogEventsRequestOut;
export type WireLogBatchResult = WireLogBatchResultOut;
export type PutLogEventsResponse = PutLogEventsResponseOut;
export type WireTaskSpec = WireTaskSpecOut;
export type WireContainerDefinition = WireContainerDefinitionOut;
export type WireVolume = WireVolumeOut;
export type WireResolvedEfsVolume = WireResolvedEfsVolumeOut;
export type TaskRoleType = 'TaskApplication' | 'TaskExecution';
