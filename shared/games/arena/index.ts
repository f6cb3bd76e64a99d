/**
 * `tickwire/arena`: the demo's arena game (state, inputs, step, replication, shot prediction), as an
 * example of a complete game written against `tickwire/game`.
 *
 * @module tickwire/arena
 */
export { arenaGame, arenaPredictor, hashArena } from './arena-game';
export { arenaStateCodec } from './arena-state-codec';
export { Button, arenaInputCodec, type ArenaInput } from './arena-input';
export type { Mover } from './arena-movement';
export { ArenaGlobalField, ArenaKind, PlayerField, PlayerFlag, ProjectileField, arenaEntitySchema } from './arena-replication';
export * from './arena-rules';
export type { ArenaMatchLine, ArenaPlayer, ArenaProjectile, ArenaState } from './arena-state';
export { ArenaShotPredictor, type PredictedShot } from './arena-shot-prediction';
export type { UniformGrid } from '../../spatial/uniform-grid';
