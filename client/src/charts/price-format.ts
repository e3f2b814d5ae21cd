// The chart's value axis labels. Pure.

/** The value axis' step (lightweight-charts' minMove): values closer than this are not told apart. */
export const PRICE_STEP = 1e-12

/**
 * 0.5, 1, 1.5 rather than 0.5000, 1.000; a tick below the axis' step is float
 * noise of the tick arithmetic, read as 0 (a zero tick read 2.78e-16).
 */
export function priceFormatter(v: number): string {
  const abs = Math.abs(v)
  if (abs < PRICE_STEP) return '0'
  return abs >= 1e4 || abs < 1e-3 ? v.toExponential(2) : String(Number(v.toPrecision(4)))
}
