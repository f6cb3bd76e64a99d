/**
 * Integer trigonometry for the simulation. Angles are u16 (65536 = one turn); results are Q14
 * (16384 = 1.0). The table is computed with a Taylor series using only + - * /, which IEEE 754
 * makes exact and identical in every engine, then rounded, so Math.sin's engine-specific last
 * bits never reach the state.
 */
const TABLE_BITS = 10;
const TABLE_SIZE = 1 << TABLE_BITS; // 1024 steps per turn: 0.35° resolution
export const Q14 = 1 << 14;

function taylorSin(x: number): number {
  // x in [-π, π]; 11 terms keep the error far below the Q14 rounding step.
  let term = x;
  let sum = x;
  for (let n = 1; n < 11; n++) {
    term *= (-x * x) / (2 * n * (2 * n + 1));
    sum += term;
  }
  return sum;
}

const SIN_TABLE = new Int16Array(TABLE_SIZE);
for (let i = 0; i < TABLE_SIZE; i++) {
  // 3.141592653589793 is the double nearest π in every engine.
  let x = (i / TABLE_SIZE) * 2 * 3.141592653589793;
  if (x > 3.141592653589793) x -= 2 * 3.141592653589793;
  SIN_TABLE[i] = Math.round(taylorSin(x) * Q14);
}

/** sin of a u16 angle, in Q14. */
export function sinQ14(angle16: number): number {
  return SIN_TABLE[(angle16 & 0xffff) >>> (16 - TABLE_BITS)];
}

/** cos of a u16 angle, in Q14. */
export function cosQ14(angle16: number): number {
  return SIN_TABLE[((angle16 + 0x4000) & 0xffff) >>> (16 - TABLE_BITS)];
}

/** Radians → u16 angle (for clients turning mouse positions into inputs; not used in the step). */
export function radiansToAngle16(rad: number): number {
  const turns = rad / (2 * Math.PI);
  return Math.round((turns - Math.floor(turns)) * 65536) & 0xffff;
}

/** u16 angle → radians, for rendering. */
export function angle16ToRadians(a: number): number {
  return (a / 65536) * 2 * Math.PI;
}
