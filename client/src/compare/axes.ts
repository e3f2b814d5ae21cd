// Axes of the comparison plots from a runs page's columns: numeric when every
// value reads as a number, else categorical. A brush on an axis becomes a
// runwatch filter clause, so brushing filters the table and charts through the
// same query path as typing.
import type { CellValue } from '../state/run-pages.ts'
import { parseColumnId } from '../columns.ts'

export type Axis =
  | { column: string; label: string; kind: 'numeric'; min: number; max: number; values: (number | null)[]; log: boolean }
  | { column: string; label: string; kind: 'category'; categories: string[]; values: (string | null)[] }

export function toNumber(v: CellValue | undefined): number | null {
  if (v === null || v === undefined || v === '') return null
  if (typeof v === 'number') return v
  const n = Number(v)
  return v === 'NaN' || v === 'Infinity' || v === '-Infinity' ? null : Number.isFinite(n) ? n : null
}

export function buildAxis(column: string, values: CellValue[]): Axis {
  const label = parseColumnId(column)?.label ?? column
  const present = values.filter((v) => v !== null && v !== undefined && v !== '')
  const numbers = present.map(toNumber)
  // Tags compare as text only; params and metrics as numbers when they all are.
  if (!column.startsWith('tags.') && present.length > 0 && numbers.every((n) => n !== null)) {
    const nums = values.map(toNumber)
    const finite = nums.filter((n): n is number => n !== null)
    const [min, max] = [Math.min(...finite), Math.max(...finite)]
    // Learning rates and the like are chosen by decades: 3e-4 and 3e-3 must not sit together at the bottom.
    return { column, label, kind: 'numeric', min, max, values: nums, log: min > 0 && max / min >= LOG_SPAN }
  }
  const strings = values.map((v) => (v === null || v === undefined ? null : String(v)))
  return { column, label, kind: 'category', categories: [...new Set(strings.filter((s): s is string => s !== null))].sort(), values: strings }
}

/** A positive numeric axis spanning this many times its smallest value is drawn on a log scale. */
const LOG_SPAN = 100

type NumericAxis = Extract<Axis, { kind: 'numeric' }>
const scaled = (axis: NumericAxis, v: number) => (axis.log ? Math.log(v) : v)

/** Where a value sits on its axis, 0 (bottom) to 1 (top); null when missing. */
export function position(axis: Axis, i: number): number | null {
  if (axis.kind === 'numeric') {
    const v = axis.values[i]
    if (v === null || v === undefined) return null
    const [lo, hi] = [scaled(axis, axis.min), scaled(axis, axis.max)]
    return hi === lo ? 0.5 : (scaled(axis, v) - lo) / (hi - lo)
  }
  const v = axis.values[i]
  if (v === null || v === undefined) return null
  const at = axis.categories.indexOf(v)
  return axis.categories.length === 1 ? 0.5 : at / (axis.categories.length - 1)
}

/** A brushed span of an axis, in axis positions 0..1, with the filter clause it stands for. */
export interface Brush {
  column: string
  lo: number
  hi: number
  clause: string
}

export function inBrush(axis: Axis, i: number, brush: Pick<Brush, 'lo' | 'hi'>): boolean {
  const p = position(axis, i)
  return p !== null && p >= brush.lo - 1e-9 && p <= brush.hi + 1e-9
}

/** Whether run i is inside every brush (a brush on a column not drawn does not hold it back). */
export function passesBrushes(axes: Axis[], brushes: Brush[], i: number): boolean {
  return brushes.every((b) => {
    const axis = axes.find((a) => a.column === b.column)
    return !axis || inBrush(axis, i, b)
  })
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`

/** The filter clause a brush stands for, in runwatch's syntax. */
export function brushClause(axis: Axis, brush: Pick<Brush, 'lo' | 'hi'>): string {
  if (axis.kind === 'numeric') {
    const lo = valueAt(axis, brush.lo)
    const hi = valueAt(axis, brush.hi)
    // Full precision: the server reads back exactly the number drawn here.
    return `${axis.column} >= ${lo} AND ${axis.column} <= ${hi}`
  }
  const chosen = axis.categories.filter((_, k) => {
    const p = axis.categories.length === 1 ? 0.5 : k / (axis.categories.length - 1)
    return p >= brush.lo - 1e-9 && p <= brush.hi + 1e-9
  })
  return chosen.length === 0 ? "attributes.run_id = ''" : `${axis.column} IN (${chosen.map(quote).join(', ')})`
}

/** The value at position p (0..1) of a numeric axis. */
export function valueAt(axis: NumericAxis, p: number): number {
  if (p <= 0) return axis.min
  if (p >= 1) return axis.max
  const [lo, hi] = [scaled(axis, axis.min), scaled(axis, axis.max)]
  const v = lo + p * (hi - lo)
  return axis.log ? Math.exp(v) : v
}
