// Putting a run's points on its x axis: one value per x, the last logged.

export type XMode = 'step' | 'relative' | 'wall'

/** Input sorted by x, then by time; keeps the last value of each x. */
export function lastPerX(xs: ArrayLike<number>, ys: ArrayLike<number>): { x: Float64Array; y: Float64Array } {
  const x: number[] = []
  const y: number[] = []
  for (let i = 0; i < xs.length; i++) {
    if (x.length > 0 && x[x.length - 1] === xs[i]) y[y.length - 1] = ys[i]!
    else {
      x.push(xs[i]!)
      y.push(ys[i]!)
    }
  }
  return { x: Float64Array.from(x), y: Float64Array.from(y) }
}
