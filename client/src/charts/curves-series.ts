// All the curves of a panel as ONE lightweight-charts custom series. Its
// items are the points of the shared x grid, each holding every curve's value
// there; its renderer strokes one path per curve. lightweight-charts' cost is
// per item of every series (each item merged into the time scale, each
// item's style looked up): 100 line series of 1,000 points kept Chromium busy
// for about 250 ms before the first paint, one series of 1,000 items does not.
import {
  customSeriesDefaultOptions,
  type CustomData,
  type CustomSeriesOptions,
  type CustomSeriesWhitespaceData,
  type ICustomSeriesPaneRenderer,
  type ICustomSeriesPaneView,
  type PaneRendererCustomData,
  type PriceToCoordinateConverter,
} from 'lightweight-charts'

export interface CurvesItem extends CustomData<number> {
  time: number
  /** The drawn value of each curve, in the series' curve order: undefined where the curve has no point, NaN a gap. */
  y: (number | undefined)[]
  /** The unsmoothed values, drawn faint behind (only while smoothing). */
  raw?: (number | undefined)[]
}

export interface CurvesOptions extends CustomSeriesOptions {
  /** One colour per curve, in the items' curve order. */
  colors: string[]
  /** The curves drawn dashed (a reference line such as the stopping rule's median), by their place in that order. */
  dashed: number[]
  lineWidth: number
  /** The price scale is logarithmic: its coordinates are not a straight function of the value. */
  logY: boolean
}

type Target = Parameters<ICustomSeriesPaneRenderer['draw']>[0]
type Bars = PaneRendererCustomData<number, CurvesItem>['bars']

/** The raw curves behind smoothed ones: the curve's colour at a quarter of its opacity. */
const RAW_ALPHA = '40'

export class CurvesSeries implements ICustomSeriesPaneView<number, CurvesItem, CurvesOptions> {
  private data: PaneRendererCustomData<number, CurvesItem> | undefined
  private options: CurvesOptions | undefined
  private readonly painter: ICustomSeriesPaneRenderer = { draw: (target, toY) => this.draw(target, toY) }

  renderer(): ICustomSeriesPaneRenderer {
    return this.painter
  }

  update(data: PaneRendererCustomData<number, CurvesItem>, options: CurvesOptions): void {
    this.data = data
    this.options = options
  }

  /** The lowest and highest value of the item, raw values included: autoscale keeps every curve in view. */
  priceValueBuilder(item: CurvesItem): number[] {
    let low = Infinity
    let high = -Infinity
    for (const values of item.raw ? [item.y, item.raw] : [item.y]) {
      for (const v of values) {
        if (v === undefined || !Number.isFinite(v)) continue
        if (v < low) low = v
        if (v > high) high = v
      }
    }
    return low <= high ? [low, high, high] : [NaN]
  }

  isWhitespace(item: CurvesItem | CustomSeriesWhitespaceData<number>): item is CustomSeriesWhitespaceData<number> {
    return !('y' in item)
  }

  defaultOptions(): CurvesOptions {
    return { ...customSeriesDefaultOptions, colors: [], dashed: [], lineWidth: 1, logY: false, lastValueVisible: false, priceLineVisible: false }
  }

  private draw(target: Target, toY: PriceToCoordinateConverter): void {
    const data = this.data
    const options = this.options
    if (!data?.visibleRange || !options || data.bars.length === 0) return
    const { bars, visibleRange, barSpacing } = data
    const y = options.logY ? toY : straightConverter(bars, visibleRange, toY)
    target.useBitmapCoordinateSpace(({ context, horizontalPixelRatio, verticalPixelRatio }) => {
      context.lineCap = 'butt'
      const stroke = (curve: number, pick: (item: CurvesItem) => (number | undefined)[], color: string, width: number) => {
        context.strokeStyle = color
        context.setLineDash(options.dashed.includes(curve) ? [6 * horizontalPixelRatio, 4 * horizontalPixelRatio] : [])
        context.lineWidth = Math.max(1, Math.round(width * horizontalPixelRatio))
        // Round joins show only on wide lines; on one-pixel lines they doubled the time Chromium took
        // to rasterize 100 curves of 1,000 points without a GPU (23 ms against 12 ms for bevel joins).
        context.lineJoin = context.lineWidth > 1 ? 'round' : 'bevel'
        context.beginPath()
        strokeCurve(context, bars, visibleRange, barSpacing, (item) => pick(item)[curve], y, horizontalPixelRatio, verticalPixelRatio)
        context.stroke()
      }
      const curves = options.colors.length
      if (bars[0]!.originalData.raw) for (let c = 0; c < curves; c++) stroke(c, (item) => item.raw!, `${options.colors[c]}${RAW_ALPHA}`, 1)
      for (let c = 0; c < curves; c++) stroke(c, (item) => item.y, options.colors[c]!, options.lineWidth)
    })
  }
}

/**
 * The price scale's converter as the straight line it is on a linear scale:
 * lightweight-charts' own converter looks up the series' first value on every
 * call, which was a quarter of a frame of 100 curves. The line goes through a
 * visible value, so that the short distances from it keep their precision
 * (a reference at 0 would lose the digits of values near 1e12 that differ by
 * 1e-3); its slope is measured over a distance as large as that value.
 */
export function straightConverter(bars: Bars, visible: { from: number; to: number }, toY: PriceToCoordinateConverter): (price: number) => number | null {
  let origin = NaN
  for (let i = Math.max(0, visible.from); i <= Math.min(bars.length - 1, visible.to) && !Number.isFinite(origin); i++) {
    origin = bars[i]!.originalData.y.find((v) => v !== undefined && Number.isFinite(v)) ?? NaN
  }
  const span = Math.max(1, Math.abs(origin))
  const originY = Number.isFinite(origin) ? toY(origin) : null
  const farY = Number.isFinite(origin + span) ? toY(origin + span) : null
  if (originY === null || farY === null) return toY
  const slope = (farY - originY) / span
  return (price) => originY + (price - origin) * slope
}

/**
 * One curve's path over the visible items, from its last point before them
 * to its first point after them (so that a curve without a point at the
 * edges still reaches them). Items denser than the pixel columns are drawn
 * as each column's first, lowest, highest and last value: every spike stays,
 * and a long live curve costs at most four segments a column. The items
 * outside the visible ones are placed by their index: lightweight-charts
 * updates only the visible bars' x, the others keep the x of an earlier
 * paint (a stray line from the plot's edge after a zoom).
 */
export function strokeCurve(
  context: Pick<CanvasRenderingContext2D, 'moveTo' | 'lineTo'>,
  bars: Bars,
  visible: { from: number; to: number },
  barSpacing: number,
  valueOf: (item: CurvesItem) => number | undefined,
  toY: (price: number) => number | null,
  xRatio: number,
  yRatio: number,
): void {
  let from = Math.max(0, visible.from - 1)
  while (from > 0 && valueOf(bars[from]!.originalData) === undefined) from--
  let to = Math.min(bars.length - 1, visible.to)
  while (to < bars.length - 1 && valueOf(bars[to]!.originalData) === undefined) to++
  const firstShown = Math.max(0, visible.from)
  const lastShown = Math.min(bars.length - 1, visible.to)
  const xOf = (i: number) =>
    i < firstShown ? bars[firstShown]!.x - (firstShown - i) * barSpacing : i > lastShown ? bars[lastShown]!.x + (i - lastShown) * barSpacing : bars[i]!.x
  let pen = false
  let column = NaN
  let low = 0
  let high = 0
  let last = 0
  const flush = () => {
    if (low !== high) {
      context.lineTo(column, low)
      context.lineTo(column, high)
      context.lineTo(column, last)
    }
  }
  for (let i = from; i <= to; i++) {
    const bar = bars[i]!
    const v = valueOf(bar.originalData)
    if (v === undefined) continue
    const y = Number.isFinite(v) ? toY(v) : null
    if (y === null || !Number.isFinite(y)) {
      if (pen) flush()
      pen = false
      continue
    }
    const px = Math.round(xOf(i) * xRatio)
    const py = y * yRatio
    if (pen && px === column) {
      if (py < low) low = py
      if (py > high) high = py
      last = py
      continue
    }
    if (pen) {
      flush()
      context.lineTo(px, py)
    } else context.moveTo(px, py)
    pen = true
    column = px
    low = high = last = py
  }
  if (pen) flush()
}
