// Curve smoothing, exactly as users know it (../shared/curves-and-stopping.md).
// Pure; applied to full-resolution data before any downsampling, so zooming
// never changes the smoothed curve.

/**
 * TensorBoard's debiased exponential moving average. Non-finite values pass
 * through unchanged and are not counted; a constant series comes back as is.
 */
export function emaDebiased(values: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(values.length)
  let first: number | undefined
  let constant = true
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isFinite(v)) continue
    if (first === undefined) first = v
    else if (v !== first) constant = false
  }
  if (constant) {
    out.set(Array.from(values))
    return out
  }
  let last = 0
  let n = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isFinite(v)) {
      out[i] = v
      continue
    }
    last = weight * last + (1 - weight) * v
    n++
    const debias = weight === 1 ? 1 : 1 - Math.pow(weight, n)
    out[i] = last / debias
  }
  return out
}

/** Trailing simple moving average over the last `window` finite values; non-finite values pass through. */
export function movingAverage(values: ArrayLike<number>, window: number): Float64Array {
  const out = new Float64Array(values.length)
  const ring: number[] = []
  let sum = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isFinite(v)) {
      out[i] = v
      continue
    }
    ring.push(v)
    sum += v
    if (ring.length > window) sum -= ring.shift()!
    out[i] = sum / ring.length
  }
  return out
}
