// One run's values on the shared grid. As arrays of nulls and numbers, 100
// runs × 4,000 slots were 400,000 boxed numbers, copied by every
// young-generation collection while the answer was built (a quarter of a
// series query). Here they are an array of doubles only, which V8 keeps
// unboxed, with NaN for an empty slot: JSON.stringify writes NaN as null, so
// the array is the answer as it stands, and a binary frame copies it whole.
// Non-finite values, which JSON spells as strings, are kept aside and make
// either form write a copy.
import { toWire, type WireNumber } from '../../../protocol/index.ts'

export class GridRow {
  /** NaN: no value. */
  private readonly values: number[] = []
  /** Slots holding NaN or ±Infinity, as the wire spells them. */
  private nonFinite?: Map<number, WireNumber>

  constructor(length: number) {
    // Pushed one by one, not new Array(length): a packed array of doubles.
    for (let i = 0; i < length; i++) this.values.push(NaN)
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
    if (!this.nonFinite?.size) return this.values
    const out: (WireNumber | null)[] = this.values.map((v) => (Number.isNaN(v) ? null : v))
    for (const [slot, v] of this.nonFinite) out[slot] = v
    return out
  }

  /** The row as a series frame carries it (protocol: encodeSeriesFrame): ±Infinity in place, logged NaNs listed. */
  toFrame(): { values: ArrayLike<number>; nanAt?: number[] } {
    if (!this.nonFinite?.size) return { values: this.values }
    const values = this.values.slice()
    const nanAt: number[] = []
    for (const [slot, v] of this.nonFinite) {
      if (v === 'NaN') nanAt.push(slot)
      else values[slot] = v === 'Infinity' ? Infinity : -Infinity
    }
    return nanAt.length ? { values, nanAt: nanAt.sort((a, b) => a - b) } : { values }
  }
}
