/**
 * `tickwire/game`: what a game is written against, shared by its server, its browser client
 * and its bots. A game is a {@link GameDefinition}: a pure, deterministic step over its own
 * state, an input codec, and an entity schema saying what is replicated.
 *
 * @module tickwire/game
 */
export type { GameDefinition, GameSetup, InputCodec, Predictor, StateCodec, TickInputs } from './game/game-definition';
export { plainStateCodec } from './game/state-codec';
export type { EntityKindSchema, EntitySchema, FieldLerp, FieldSchema } from './replication/entity-schema';
export { EntityTable } from './replication/entity-table';
export { ByteReader } from './binary/byte-reader';
export { ByteWriter } from './binary/byte-writer';
export { WireError, WireErrorCode } from './binary/wire-error';
export { replay, ReplayRecorder, type ReplayEvent, type ReplayLog } from './game/replay';
export { nextInt, nextU32, type RngState } from './math/prng';
export { angle16ToRadians, cosQ14, Q14, radiansToAngle16, sinQ14 } from './math/fixed-trig';
export { FNV_OFFSET, hashInt } from './math/state-hash';
export { CloseCode, describeClose } from './protocol/close-codes';
export { PROTOCOL_VERSION } from './protocol/message-types';
