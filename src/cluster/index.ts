export { DEFAULT_HEARTBEAT_MS, DEFAULT_NODE_TTL_MS, RegistryReads } from './cluster-registry';
export type { ClusterRegistry, ClusterView, NodeListing, NodeReport, RoomListing } from './cluster-registry';
export { MemoryClusterStore, MemoryRegistry } from './memory-registry';
export { RedisRegistry, type RedisRegistryOptions } from './redis-registry';
export { redactUrl } from '../logging/redact-url';
export { NodePresence, defaultNodeId, type ClusterOptions, type PresenceStats } from './node-presence';
export { Matchmaker, MatchmakeError, type MatchmakeResult } from './matchmaker';
export { NodeRpc, type ReserveHandler, type ReserveReply, type ReserveRequest } from './node-rpc';
export { ClusterBus, type BusMessage, type TopicHandler } from './cluster-bus';
