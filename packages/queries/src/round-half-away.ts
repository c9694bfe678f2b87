/**
 * C's round(): to the nearest integer, half away from zero, which DuckDB uses in round() and in
 * DOUBLE -> DECIMAL casts. JS Math.round rounds half toward +Infinity, and a half-to-even
 * rounding would differ on every tie, so JS ports of those SQL steps round with this.
 */
export function roundHalfAway(x: number): number {
  const abs = Math.abs(x);
  const floor = Math.floor(abs);
  // Exact: a double minus its floor is representable.
  const away = abs - floor >= 0.5 ? floor + 1 : floor;
  return x < 0 ? -away : away;
}
