/**
 * Wire types, as proto-loader decodes them (keepCase, longs as numbers,
 * enums as strings): the shapes both ends of the agent channel read and write.
 */
export interface WireResources { cpu: number; memory: number; ports: number[]; ports_udp: number[] }
export interface WireAttribute { name: string; value: string }
export interface RegisterRequest {
  cluster: string;
  instance_id: string;
  ec2_instance_id: string;
  host_ip: string;
  resources: WireResources;
  attributes: WireAttribute[];
  agent_version: string;
  docker_version: string;
  /** Absent from agents older than 0.1 (proto3: ''). */
  agent_hash?: string;
}
export interface RegisterResponse { instance_id: string; container_instance_arn: string; control_plane_version?: string }
export interface SessionRequest { instance_id: string }
export interface WireContainerSecret { container_name: string; name: string; value: string }
export interface WireRegistryCredentials { container_name: string; username: string; password: string }
export interface WireAssignment {
  task_arn: string;
  version: number;
  spec_json: string;
  secrets?: WireContainerSecret[];
  registry_credentials?: WireRegistryCredentials[];
  secrets_error?: string;
  environment_file_variables?: WireContainerSecret[];
}
export interface JoinRequest { token: string; cluster: string; csr_pem: string }
export interface JoinResponse { instance_id: string; certificate_pem: string; ca_pem: string; cluster: string }
export interface RenewCertificateRequest { csr_pem: string }
export interface RenewCertificateResponse { certificate_pem: string; ca_pem: string }
export interface LogRequest {
  request_id: string;
  task_arn: string;
  container_name: string;
  follow: boolean;
  tail: number;
  since_ms: number;
  /** Non-follow byte cap; 0 = none. */
  max_bytes: number;
}
export interface SessionMessage {
  type: 'COMPLETE' | 'INCREMENTAL';
  session_id: string;
  applies_to: number;
  results_in: number;
  assignments: WireAssignment[];
  removed: string[];
  heartbeat_period_ms: number;
  log_requests: LogRequest[];
  /** Contract 6: present in COMPLETE, and in INCREMENTAL only when the set changed (null otherwise). */
  load_balancers?: WireLoadBalancerSet | null;
}
export interface WireLoadBalancerSet { version: string; spec_json: string }
export interface WireTargetHealthReport {
  target_group_arn: string;
  target_id: string;
  port: number;
  registration_id: string;
  state: string;
  reason: string;
  description: string;
  requests: number;
  errors: number;
  /** Absent from agents older than the metrics pipeline. */
  response_time_ms?: number;
}
export interface WireLoadBalancerStatus { load_balancer_arn: string; config_version: string; state: string; reason: string }
export interface UpdateTargetHealthRequest { session_id: string; targets: WireTargetHealthReport[]; load_balancers: WireLoadBalancerStatus[] }
export type UpdateTargetHealthResponse = Record<string, never>;
export type TaskRoleType = 'TaskApplication' | 'TaskExecution';
export interface GetTaskCredentialsRequest { task_arn: string; role_type: string }
export interface GetTaskCredentialsResponse { role_arn: string; access_key_id: string; secret_access_key: string; session_token: string; expiration_ms: number }
export interface HeartbeatRequest { session_id: string }
export interface HeartbeatResponse { period_ms: number }
export interface WireNetworkBinding { bind_ip: string; container_port: number; host_port: number; protocol: string }
export interface WireContainerStatus {
  name: string;
  status: string;
  runtime_id: string;
  exit_code?: number | null;
  reason: string;
  network_bindings: WireNetworkBinding[];
  health_status: string;
}
export interface WireTaskStatus {
  task_arn: string;
  last_status: string;
  containers: WireContainerStatus[];
  stop_code: string;
  stopped_reason: string;
  pull_started_at: number;
  pull_stopped_at: number;
  started_at: number;
  execution_stopped_at: number;
  stopped_at: number;
}
export interface UpdateTaskStatusRequest { session_id: string; updates: WireTaskStatus[] }
export interface UpdateTaskStatusResponse { applied: string[] }
export interface WireTaskUsage {
  task_arn: string;
  cpu_units: number;
  memory_mib: number;
  network_rx_bytes: number;
  network_tx_bytes: number;
  storage_read_bytes: number;
  storage_write_bytes: number;
  window_ms: number;
  containers: number;
}
export interface ReportTaskUsageRequest { session_id: string; usage: WireTaskUsage[] }
export type ReportTaskUsageResponse = Record<string, never>;
export interface LogChunk { request_id: string; data: Buffer; stream: string; error: string; truncated: boolean }

export type PushLogsResponse = Record<string, never>;
export interface WireLogEventEntry { timestamp: number; message: string }
export interface WireLogEventsBatch { task_arn: string; container_name: string; log_group: string; log_stream: string; create_group: boolean; events: WireLogEventEntry[] }
export interface PutLogEventsRequest { session_id: string; batches: WireLogEventsBatch[] }
export interface WireLogBatchResult { error_code: string; error_message: string }
export interface PutLogEventsResponse { results: WireLogBatchResult[] }
