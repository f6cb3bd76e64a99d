export * from './cursors-game';
