// One run's values on the shared grid. As JS arrays, 100 runs × 4,000 slots
// were 400,000 boxed numbers, copied by every young-generation collection
// while the answer was built (a quarter of a series query); here they stay
// unboxed until JSON.stringify writes them, as the array they stand for:
// null for an empty slot, non-finite values as the wire's strings.
import { toWire, type WireNumber } from '../../../protocol/index.ts'

export class GridRow {
  /** NaN: no value. */
  private readonly values: Float64Array
  /** Slots holding NaN or ±Infinity, as the wire spells them. */
  private nonFinite?: Map<number, WireNumber>

  constructor(length: number) {
    this.values = new Float64Array(length).fill(NaN)
  }

  set(slot: number, value: number): void {
    if (Number.isFinite(value)) {
      this.values[slot] = value
      this.nonFinite?.delete(slot)
    } else {
      this.values[slot] = NaN
      ;(this.nonFinite ??= new Map()).set(slot, toWire(value))
    }
  }

  /** What JSON.stringify writes. */
  toJSON(): (WireNumber | null)[] {
    if (!this.nonFinite?.size) {
      // A plain array of doubles (pushed one by one, so V8 keeps them unboxed):
      // JSON.stringify writes its NaN as null, the empty slots' value.
      const doubles: number[] = []
      for (const v of this.values) doubles.push(v)
      return doubles
    }
    const out: (WireNumber | null)[] = Array.from(this.values, (v) => (Number.isNaN(v) ? null : v))
    for (const [slot, v] of this.nonFinite) out[slot] = v
    return out
  }
}
