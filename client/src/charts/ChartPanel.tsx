// One metric, the chosen runs overlaid. Curves come from the series query (a
// shared x grid, min/max buckets, smoothing at full resolution) and are drawn
// by one custom series (curves-series.ts); live points continue them with
// series.update() from the query's cursor, so nothing is re-fetched or
// redrawn whole while runs train. Zooming re-reads the visible range at full
// resolution.
import { For, Show, createEffect, createMemo, createSignal, on, onCleanup, onMount } from 'solid-js'
import {
  createOptionsChart,
  CrosshairMode,
  LineStyle,
  PriceScaleMode,
  type IChartApiBase,
  type ISeriesApi,
  type SeriesPartialOptions,
  type TickMarkWeightValue,
  type WhitespaceData,
} from 'lightweight-charts'
import { decodeCursor, fromWire, positionKey, type ServerMessage, type SignalRule } from '../../../protocol/index.ts'
import { fetchSeries, fetchSignals, type SeriesAnswer, type SeriesRequest, type SignalsAnswer } from '../api.ts'
import { colorFor } from '../colors.ts'
import { lowerIsBetter } from '../columns.ts'
import { formatMetric } from '../format.ts'
import { runIdFilter, type LiveFeed } from '../live/live-feed.ts'
import type { XMode } from '../state/view-state.ts'
import type { CrosshairBus } from './crosshair-bus.ts'
import { CrosshairDots } from './crosshair-dots.ts'
import { CurveGrid } from './curve-grid.ts'
import { CurvesSeries, type CurvesItem, type CurvesOptions } from './curves-series.ts'
import { LiveCurve, bucketLayout, type BucketLayout, type CurvePoint } from './live-curve.ts'
import { PointMarks, type PointMark } from './point-marks.ts'
import { estimatedPanelWidth, firstPaintBudget, seriesBudget } from './series-budget.ts'
import { markPrefetchedPainted, takePrefetched } from './series-prefetch.ts'
import { chartTheme, onThemeChange } from './theme.ts'
import { formatX, formatXTick, tickWeight, xTickLength } from './x-format.ts'
import { PRICE_STEP, priceFormatter } from './price-format.ts'

export interface ChartPanelProps {
  metricKey: string
  runIds: string[]
  names: Record<string, string>
  smoothing: number
  logY: boolean
  x: XMode
  live: LiveFeed
  crosshair: CrosshairBus
  onRemove?: () => void
  /** The stopping aid: a rule judged over these experiments and filter (all their runs, not only the charted ones). */
  stopping?: { rule: SignalRule; experimentIds: string[]; filter: string }
  onOpenRun?: (runId: string) => void
}

interface Drawn {
  curve: LiveCurve
  /** The curve's place in the curves series' items. */
  index: number
  color: string
}

let panelCount = 0
/** The size lightweight-charts gives a chart in a box of this size: whole, even pixels. */
const chartSize = (box: { width: number; height: number }) => ({ width: evenFloor(box.width), height: evenFloor(box.height) })
const evenFloor = (n: number) => Math.floor(n) - (Math.floor(n) % 2)
/**
 * Once the next frame is on screen: a task after the animation callbacks of
 * the frame after it. (A task right after the next frame's own callbacks ran
 * before Chromium had drawn that frame, and the work it started, such as the
 * table's first read or a detail read, delayed the drawing on a busy machine.)
 */
const afterPaint = (fn: () => void) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(fn)))
/**
 * A new set of charted runs is read once it has stayed the same this long:
 * longer than the pause between two keys of a filter being typed, so that
 * the charts do not read and redraw while the next key's table is read.
 */
const RUNS_SETTLE_MS = 400
/** The stopping aid is read again this often while runs train. */
const SIGNALS_REFRESH_MS = 10_000
/** Canvas markers cannot read CSS variables: the failed-run red of both themes. */
const STOP_COLOR = '#e5534b'
/** The stopping rule's reference line: a grey that reads on both themes. */
const BAND_COLOR = '#8d96a0'
/** The legend reads a curve's value this fraction of the view away from the crosshair at most. */
const LEGEND_REACH = 50
/** A change of the visible range this soon after the user's wheel or drag is theirs. */
const USER_MOVE_MS = 500
/** Wide lines cost far more to rasterize (without a GPU, 15× for 100 runs): only for a few runs. */
const THICK_LINES_UP_TO = 10

export function ChartPanel(props: ChartPanelProps) {
  /** The panel's chart area (sized by the layout), and the chart's own element inside it. */
  let box!: HTMLDivElement
  let el!: HTMLDivElement
  let chart: IChartApiBase<number> | undefined
  const drawn = new Map<string, Drawn>()
  let curves: ISeriesApi<'Custom', number, CurvesItem | WhitespaceData<number>, CurvesOptions, SeriesPartialOptions<CurvesOptions>> | undefined
  let grid = new CurveGrid(0, false)
  const marks = new PointMarks(() => curves)
  let theme = chartTheme()
  /** The drawn curves' colours, in their order in the items. */
  let colors: string[] = []
  const dots = new CrosshairDots(() => colors, () => theme.background)
  const sub = `chart-${++panelCount}`
  const [legend, setLegend] = createSignal<{ x: number | undefined; values: Record<string, number | undefined> }>({ x: undefined, values: {} })
  const [state, setState] = createSignal<'loading' | 'ready' | 'empty' | string>('loading')
  const [pointCount, setPointCount] = createSignal(0)
  // The legend names the runs whose curves are drawn: a new set of runs (the table's first runs,
  // as a filter is typed) is drawn once it has held still, and its names come with its curves.
  const [legendRuns, setLegendRuns] = createSignal(props.runIds)
  let generation = 0
  /** The user's cursor is on this panel: the others show its crosshair. */
  let leading = false
  /** This panel shows another panel's crosshair. */
  let showingOthersCrosshair = false
  /** The x axis of the curves drawn: a view kept over a new read must be on the same one. */
  let shownAxis: XMode | undefined
  /** Extent of the whole loaded curve and whether it is bucketed; zoom detail is read inside it. */
  let overview: { exact: boolean; from: number; to: number } = { exact: true, from: 0, to: 0 }
  let settingRange = false
  const lower = () => lowerIsBetter(props.metricKey)
  const [signals, setSignals] = createSignal<SignalsAnswer>()
  const stopSteps = createMemo(() => {
    const out = new Map<string, number>()
    const runs = signals()?.runs
    runs?.runId.forEach((id, i) => {
      const at = runs.wouldStopAt[i]
      if (at !== null && at !== undefined) out.set(id, at)
    })
    return out
  })
  const candidates = createMemo(() => {
    const runs = signals()?.runs
    return runs ? runs.runId.filter((_, i) => runs.candidate[i]) : []
  })
  /**
   * The rule's reference (the median per step, or per rung), drawn dashed as
   * one more curve of the curves series after the runs' (a series of its own
   * would add its steps to the axis' items: lightweight-charts spaces items
   * by index, and the view jumped to the band's last steps).
   */
  let band: CurvePoint[] = []
  /** The buckets of the curves drawn (none: exact), which live points and the band fold into. */
  let layout: BucketLayout | undefined

  // The chart's own idea of its width (kept by its resize observer): reading the element's would
  // force a layout of whatever changed just before, such as the table's new rows.
  const width = () => chart?.timeScale().width() || estimatedPanelWidth(1)
  const budget = () => seriesBudget(width(), props.runIds.length)

  const clearLines = () => {
    // Emptying an empty series still costs lightweight-charts a pass over its scales (5 ms before the first paint).
    const shown = grid.items.length > 0
    drawn.clear()
    marks.clear()
    grid = new CurveGrid(0, false)
    cancelLiveFrame()
    if (shown) curves?.setData([])
  }

  /** These curves, in place of any drawn before. */
  const draw = (next: Iterable<[string, LiveCurve]>) => {
    drawn.clear()
    for (const [runId, curve] of next) drawn.set(runId, { curve, index: drawn.size, color: colorFor(runId) })
    applyColors()
    redraw()
    for (const [runId, d] of drawn) markBest(d, runId)
  }

  /** The runs' colours, then the band's (dashed) when it is drawn. */
  const applyColors = () => {
    colors = [...drawn.values()].map((d) => d.color)
    if (band.length > 0) colors.push(BAND_COLOR)
    curves!.applyOptions({ colors, dashed: band.length > 0 ? [drawn.size] : [], lineWidth: drawn.size > THICK_LINES_UP_TO ? 1 : 2 })
  }

  /** The curves' items built again from their points (after a read merged detail into them). */
  const redraw = () => {
    cancelLiveFrame()
    const lines = [...drawn.values()].map((d) => d.curve.points)
    grid = CurveGrid.from(band.length > 0 ? [...lines, band] : lines, props.smoothing > 0)
    // New items move the view (their indices changed): it is put back where the user had it, or fitted.
    const kept = following() ? undefined : chart?.timeScale().getVisibleRange()
    settingVisibleRange(() => {
      curves!.setData(grid.items)
      if (kept) chart?.timeScale().setVisibleRange(kept)
      else if (grid.items.length > 0) chart?.timeScale().fitContent()
    })
    shownLastX = grid.lastX
    const tickLength = xTickLength(props.x, xSpan())
    if (tickLength !== shownTickLength) chart?.applyOptions({ timeScale: { tickMarkMaxCharacterLength: (shownTickLength = tickLength) } })
  }
  let shownTickLength = 8

  const xSpan = () => (grid.items.length > 0 ? grid.lastX - grid.items[0]!.time : 0)

  /** Best-so-far dot, and where the stopping rule would have stopped the run. */
  const markBest = (d: Drawn, runId: string) => {
    const best = d.curve.best(lower())
    const out: PointMark[] = best ? [{ x: best.x, y: best.y, color: d.color, shape: 'dot' }] : []
    // A step is placed on the step axis only: on a time axis it would be compared with a time (the notice says so).
    const stopAt = props.x === 'step' ? stopSteps().get(runId) : undefined
    const at = stopAt === undefined ? undefined : d.curve.points.find((p) => p.x >= stopAt)
    if (at) out.push({ x: at.x, y: at.y, color: STOP_COLOR, shape: candidates().includes(runId) ? 'stop' : 'would-stop' })
    marks.set(runId, out)
  }

  const countPoints = () => {
    let n = 0
    for (const d of drawn.values()) n += d.curve.points.length
    setPointCount(n)
  }

  // Live frames come by the hundred a second (one per run and batch): the count is updated once a frame.
  let countFrame: number | undefined
  const countPointsSoon = () => {
    countFrame ??= requestAnimationFrame(() => {
      countFrame = undefined
      countPoints()
    })
  }
  onCleanup(() => countFrame !== undefined && cancelAnimationFrame(countFrame))

  const curvesFrom = (answer: SeriesAnswer) => {
    const positions = decodeCursor(answer.cursor) ?? new Map<string, number>()
    return new Map(answer.runs.map((r) => [r.runId, LiveCurve.fromAnswer(answer.grid, r, props.smoothing, positions.get(positionKey(r.runId, props.metricKey)) ?? 0, !answer.exact)]))
  }

  const load = async () => {
    const mine = ++generation
    props.live.unsubscribe(sub)
    if (props.runIds.length === 0) {
      clearLines()
      setLegendRuns([])
      setState('empty')
      return
    }
    setState('loading')
    let answer: SeriesAnswer
    performance.mark('series-request')
    // Both from one width: a width read before layout (an estimate) must not make the two differ.
    const panelWidth = width()
    const full = seriesBudget(panelWidth, props.runIds.length)
    // Curves read again on the axis they are drawn on (live points on a time axis, runs added) come at
    // full detail at once: a coarse paint first would replace the detail on screen every few seconds.
    const again = drawn.size > 0 && shownAxis === props.x
    const first = again ? full : firstPaintBudget(panelWidth, props.runIds.length)
    const request: SeriesRequest = { runIds: props.runIds, key: props.metricKey, x: props.x, budget: first, smoothing: props.smoothing }
    const prefetched = takePrefetched(request)
    try {
      answer = await (prefetched ?? fetchSeries(request))
    } catch (err) {
      if (prefetched) markPrefetchedPainted()
      if (mine === generation) setState((err as Error).message)
      return
    }
    if (mine !== generation || !chart) {
      if (prefetched) markPrefetchedPainted()
      return
    }
    // A new read of the same axis (runs added, a reconnect) keeps the user's view; zoom detail is read for it again.
    const kept = !following() && shownAxis === props.x ? chart.timeScale().getVisibleRange() : null
    shownAxis = props.x
    if (!kept) setFollowing(true)
    clearLines()
    band = []
    layout = answer.exact ? undefined : bucketLayout(answer.grid)
    performance.mark('series-answer')
    draw(curvesFrom(answer))
    if (signals()) drawBand()
    setLegendRuns(request.runIds)
    performance.mark('series-drawn')
    overview = { exact: answer.exact, from: answer.grid[0] ?? 0, to: answer.grid.at(-1) ?? 0 }
    setState(answer.grid.length ? 'ready' : 'empty')
    countPoints()
    if (kept) chart.timeScale().setVisibleRange(kept)
    else fitAll()
    if (prefetched) afterPaint(markPrefetchedPainted)
    if (!answer.exact && first < full) readDetail(mine)
    // The view the user zoomed to keeps its full resolution.
    if (kept && !answer.exact) void readRange(kept)
    props.live.subscribe(
      { sub, experimentIds: undefined, metrics: [props.metricKey], filter: runIdFilter(props.runIds), cursor: answer.cursor },
      { onMessage: (msg) => onLive(msg, mine), onSubscribing: (resuming) => !resuming && mine === generation && scheduleReload() },
    )
  }

  // Live points on wall or relative time need the run's clock origin: those panels re-read instead, a few times a minute at most.
  let reloadTimer: ReturnType<typeof setTimeout> | undefined
  const scheduleReload = (ms = 0) => {
    reloadTimer ??= setTimeout(() => {
      reloadTimer = undefined
      void load()
    }, ms)
  }
  onCleanup(() => clearTimeout(reloadTimer))

  // Live points reach the series once a frame: every run's message changes the items of the same
  // steps, and each change to the series repaints the whole pane.
  let liveFrame: number | undefined
  const liveItems = new Set<CurvesItem>()
  /** A point landed between two items: the series takes its items whole again. */
  let liveReset = false
  /** The last x the series holds: an item before it is a historical update. */
  let shownLastX = -Infinity
  const showLive = () => {
    liveFrame = undefined
    if (!curves) return
    // The series' own moves (lightweight-charts shifts the view with a new last item) are not the user's.
    settingVisibleRange(() => {
      if (liveReset) redraw()
      else {
        for (const item of [...liveItems].sort((a, b) => a.time - b.time)) {
          // A blank replaced by a real item in the same frame: only the real one is sent.
          if (!grid.holds(item)) continue
          curves!.update(item, item.time < shownLastX)
          shownLastX = Math.max(shownLastX, item.time)
        }
      }
      if (following() && !userMoving()) chart?.timeScale().fitContent()
    })
    liveItems.clear()
    liveReset = false
  }
  const cancelLiveFrame = () => {
    if (liveFrame !== undefined) cancelAnimationFrame(liveFrame)
    liveFrame = undefined
    liveItems.clear()
    liveReset = false
  }
  onCleanup(cancelLiveFrame)

  let markTimer: ReturnType<typeof setTimeout> | undefined
  const onLive = (msg: ServerMessage, mine: number) => {
    if (mine !== generation || msg.type !== 'points' || msg.key !== props.metricKey) return
    if (props.x !== 'step') return scheduleReload(3000)
    let d = drawn.get(msg.runId)
    if (!d) {
      draw([...[...drawn].map(([id, x]): [string, LiveCurve] => [id, x.curve]), [msg.runId, new LiveCurve(props.smoothing, layout)]])
      d = drawn.get(msg.runId)!
    }
    for (let i = 0; i < msg.step.length; i++) {
      const value = fromWire(msg.value[i]!)
      const step = msg.step[i]!
      const effect = d.curve.append(step, value)
      if (effect.kind === 'drop') continue
      for (const x of effect.cleared) {
        const item = grid.unset(d.index, x)
        if (item) liveItems.add(item)
      }
      for (const p of effect.points) {
        const { item, change, blanks } = grid.set(d.index, p)
        if (change === 'insert') liveReset = true
        for (const blank of blanks) liveItems.add(blank)
        liveItems.add(item)
      }
    }
    liveFrame ??= requestAnimationFrame(showLive)
    overview.to = Math.max(overview.to, d.curve.lastX)
    countPointsSoon()
    if (state() === 'empty') setState('ready')
    markTimer ??= setTimeout(() => {
      markTimer = undefined
      for (const [id, x] of drawn) markBest(x, id)
    }, 1000)
  }
  onCleanup(() => clearTimeout(markTimer))

  /** Moves the visible range without that being taken for a zoom by the user. */
  const settingVisibleRange = (set: () => void) => {
    settingRange = true
    set()
    // lightweight-charts reports the change when it paints, in its own frame, which may come after one of ours.
    afterPaint(() => (settingRange = false))
  }
  const fitAll = () => settingVisibleRange(() => chart?.timeScale().fitContent())
  /**
   * The view shows the whole x range and keeps doing so as live points arrive,
   * until the user zooms or pans; zooming back out to everything (or a double
   * click, or the panel's button) follows again.
   */
  const [following, setFollowing] = createSignal(true)
  const showAll = () => {
    // The clicks that asked for this are not a move of the view.
    userMovedAt = -Infinity
    setFollowing(true)
    fitAll()
  }
  // Only the user's own moves count: lightweight-charts reports the panel's moves (fits, new items) in a later frame.
  let userMovedAt = -Infinity
  /** The user is zooming or panning: their move is reported later, and must not be undone by a fit meanwhile. */
  const userMoving = () => performance.now() - userMovedAt <= USER_MOVE_MS
  const onUserInput = (e: Event) => {
    if (e.type !== 'pointermove' || (e as PointerEvent).buttons !== 0) userMovedAt = performance.now()
  }
  const onLogicalRangeChange = (range: { from: number; to: number } | null) => {
    if (!range || !userMoving()) return
    setFollowing(range.from <= 0.5 && range.to >= grid.items.length - 1.5)
  }
  /** The visible range shows all of the loaded curves: nothing is zoomed in. */
  const showsAll = (range: { from: number; to: number }) => range.from <= overview.from && range.to >= overview.to

  /** Curves read again between `from` and `to`, put in place of what each curve had there (live points past them stay). */
  const mergeDetail = (answer: SeriesAnswer, from: number, to: number) => {
    for (const [runId, detail] of curvesFrom(answer)) {
      const d = drawn.get(runId)
      if (!d) continue
      const merged: CurvePoint[] = [...d.curve.points.filter((p) => p.x < from), ...detail.points, ...d.curve.points.filter((p) => p.x > to)]
      d.curve.points.splice(0, d.curve.points.length, ...merged)
    }
    redraw()
    countPoints()
    // The marks name points by x: the merged points' x values replace the ones they were placed on.
    for (const [id, d] of drawn) markBest(d, id)
  }

  // The first paint of many curves is drawn from fewer points (firstPaintBudget); the whole range is
  // then read again at the full budget, once that paint is on screen, unless the user zoomed meanwhile.
  const readDetail = (mine: number) => {
    afterPaint(async () => {
      if (mine !== generation || !chart) return
      const answer = await fetchSeries({ runIds: props.runIds, key: props.metricKey, x: props.x, budget: budget(), smoothing: props.smoothing }).catch(() => undefined)
      if (!answer || mine !== generation || !chart || !following() || answer.grid.length === 0) return
      // Live points from now on fold into the detail's buckets, as the points before them are.
      layout = answer.exact ? undefined : bucketLayout(answer.grid)
      for (const d of drawn.values()) d.curve.refold(layout)
      mergeDetail(answer, -Infinity, answer.grid.at(-1)!)
      overview = { exact: answer.exact, from: answer.grid[0]!, to: Math.max(overview.to, answer.grid.at(-1)!) }
      fitAll()
    })
  }

  // Zoom: the visible range at full resolution, merged into the overview around it.
  let zoomTimer: ReturnType<typeof setTimeout> | undefined
  const onRangeChange = () => {
    // While live frames move the view, the user's own zoom still counts.
    if ((settingRange && !userMoving()) || overview.exact) return
    clearTimeout(zoomTimer)
    zoomTimer = setTimeout(() => {
      const range = chart?.timeScale().getVisibleRange()
      // All of it in view (the first paint fitted, or zoomed back out): the overview is what there is to show.
      if (range && !showsAll(range)) void readRange(range)
    }, 350)
  }
  /** The range in view at full resolution, merged into the curves around it. */
  const readRange = async (range: { from: number; to: number }) => {
    const mine = generation
    const answer = await fetchSeries({ runIds: props.runIds, key: props.metricKey, x: props.x, budget: budget(), smoothing: props.smoothing, range: [range.from, range.to] }).catch(() => undefined)
    if (!answer || mine !== generation || !chart) return
    mergeDetail(answer, range.from, range.to)
    settingVisibleRange(() => chart?.timeScale().setVisibleRange(range))
  }
  onCleanup(() => clearTimeout(zoomTimer))

  const applyTheme = () => {
    theme = chartTheme()
    chart?.applyOptions({ layout: { textColor: theme.text }, grid: { vertLines: { color: theme.grid }, horzLines: { color: theme.grid } } })
  }

  onMount(() => {
    // The chart is sized here rather than by its autoSize: that compares the size it keeps (whole,
    // even pixels) with the box's fractional one, and so repainted everything at once a second
    // time in the first frame (and on every resize), ~25 ms before the first curves showed.
    let size = chartSize(box.getBoundingClientRect())
    const resizer = new ResizeObserver((entries) => {
      const next = chartSize(entries[entries.length - 1]!.contentRect)
      if (next.width === size.width && next.height === size.height) return
      size = next
      // At once, as autoSize does: a box resized before its canvas is repainted would jitter.
      chart?.resize(size.width, size.height, true)
    })
    resizer.observe(box)
    onCleanup(() => resizer.disconnect())
    chart = createOptionsChart(el, {
      ...size,
      layout: { background: { color: 'transparent' }, textColor: theme.text, attributionLogo: false },
      grid: { vertLines: { color: theme.grid }, horzLines: { color: theme.grid } },
      rightPriceScale: { mode: props.logY ? PriceScaleMode.Logarithmic : PriceScaleMode.Normal },
      // No conflation: lightweight-charts would keep one of a custom series' items per merged bar (the curves series thins its own).
      // The view is moved by the panel alone (following, or where the user put it): no shift by new items.
      timeScale: { minBarSpacing: 0.001, shiftVisibleRangeOnNewBar: false },
      localization: { timeFormatter: (x: number) => formatX(props.x, x) },
      // Not magnet: it would snap to the curves series' one value per item (the highest curve's); the axis label shows the cursor's own value.
      crosshair: { mode: CrosshairMode.Normal, vertLine: { style: LineStyle.Dashed }, horzLine: { visible: false } },
    })
    // The numeric axis formats ticks with a fixed precision and takes no tick formatter: the chart's own axis behaviour is given one.
    const axis = chart.horzBehaviour()
    axis.formatTickmark = (mark) => formatXTick(props.x, mark.time as unknown as number, xSpan())
    // Ticks go on the roundest items (the server's bucket slots fall on round numbers, see roundSpan).
    axis.fillWeightsForPoints = (points, start = 0) => {
      const span = xSpan()
      for (let i = start; i < points.length; i++) points[i]!.timeWeight = tickWeight(props.x, points[i]!.time as unknown as number, span) as unknown as TickMarkWeightValue
    }
    curves = chart.addCustomSeries(new CurvesSeries(), { logY: props.logY, priceFormat: { type: 'custom', formatter: priceFormatter, minMove: PRICE_STEP } })
    curves.attachPrimitive(dots)
    chart.panes()[0]!.attachPrimitive(marks)
    /**
     * The dots mark the real item nearest the crosshair (a blank slot, curve-grid.ts, has no values); the
     * legend reads each curve's value nearest it, within a fiftieth of the view: runs logged at other steps
     * or times still read one.
     */
    const showValues = (item: CurvesItem | undefined, at = item?.time) => {
      dots.show(item)
      const view = chart?.timeScale().getVisibleRange()
      const reach = Math.max(grid.unit, view ? (view.to - view.from) / LEGEND_REACH : 0)
      const near = item ? grid.valuesNear(grid.indexOf(item.time), reach) : []
      const values: Record<string, number | undefined> = {}
      for (const [runId, d] of drawn) values[runId] = near[d.index]
      setLegend({ x: at, values })
    }
    chart.subscribeCrosshairMove((param) => {
      // A crosshair another panel set here (setCrosshairPosition) reports back: its legend is already
      // written, with the cursor's own x.
      if (!param.sourceEvent && showingOthersCrosshair) return
      const x = param.time as number | undefined
      showValues(x === undefined || param.logical === undefined ? undefined : grid.nearestReal(Math.round(param.logical)))
      if (param.sourceEvent) {
        leading = x !== undefined
        props.crosshair.move(x, panel)
      }
    })
    // The cursor leaving the plot takes the crosshair off the other panels too.
    el.addEventListener('pointerleave', () => {
      if (!leading) return
      leading = false
      props.crosshair.move(undefined, panel)
    })
    chart.timeScale().subscribeVisibleTimeRangeChange(onRangeChange)
    chart.timeScale().subscribeVisibleLogicalRangeChange(onLogicalRangeChange)
    el.addEventListener('dblclick', showAll)
    for (const type of ['wheel', 'pointerdown', 'pointermove', 'touchmove']) el.addEventListener(type, onUserInput, { capture: true, passive: true })
    const stopSync = props.crosshair.listen((x, source) => {
      if (source === panel || !chart) return
      showingOthersCrosshair = x !== undefined
      if (x === undefined) {
        chart.clearCrosshairPosition()
        return showValues(undefined)
      }
      // The slot nearest x (not the first past it: that read 164 for 154), and the values of the real item nearest that.
      const slot = grid.at(x)
      const item = slot && grid.nearestReal(grid.indexOf(slot.time))
      const y = item?.y.find((v) => v !== undefined && Number.isFinite(v))
      if (slot && y !== undefined) chart.setCrosshairPosition(y, slot.time, curves!)
      // The legend names the x the cursor is at, the same in every panel (their bucket slots differ).
      showValues(item, item ? x : undefined)
    })
    const stopTheme = onThemeChange(applyTheme)
    onCleanup(() => {
      stopSync()
      stopTheme()
      props.live.unsubscribe(sub)
      chart?.remove()
      chart = undefined
    })
  })
  const panel = {}

  // A memo of what the curves depend on: the props are read from the whole view state, and any
  // other change to it (a filter keystroke, a selection) must not read the curves again.
  const curvesKey = createMemo(() => JSON.stringify([props.runIds, props.smoothing, props.x, props.metricKey]))
  // The first curves are read at once; later changes after the next frame, so that the change which
  // caused them is painted first. A change of runs alone (the table's first runs, while a filter is
  // typed) waits until the runs have stayed the same for a moment: no burst of series reads.
  let reloadFrame: number | undefined
  let reloadTask: ReturnType<typeof setTimeout> | undefined
  const cancelReload = () => {
    if (reloadFrame !== undefined) cancelAnimationFrame(reloadFrame)
    clearTimeout(reloadTask)
  }
  createEffect(on(curvesKey, (now, before) => {
    if (before === undefined) return void load()
    cancelReload()
    const runsOnly = JSON.stringify((JSON.parse(now) as unknown[]).slice(1)) === JSON.stringify((JSON.parse(before) as unknown[]).slice(1))
    reloadFrame = requestAnimationFrame(() => {
      reloadFrame = undefined
      reloadTask = setTimeout(() => void load(), runsOnly ? RUNS_SETTLE_MS : 0)
    })
  }))
  onCleanup(cancelReload)

  // The stopping aid: read now and every few seconds while it is on (its prop is a new object on every view change).
  const stoppingKey = createMemo(() => (props.stopping ? JSON.stringify([props.stopping, props.metricKey]) : ''))
  createEffect(on(stoppingKey, () => {
    const stopping = props.stopping
    const key = props.metricKey
    if (!stopping) {
      setSignals(undefined)
      drawBand()
      return
    }
    const read = () =>
      fetchSignals({ ...stopping, key, lowerIsBetter: lower() })
        .then((answer) => {
          setSignals(answer)
          drawBand()
        })
        .catch(() => undefined)
    void read()
    const timer = setInterval(read, SIGNALS_REFRESH_MS)
    onCleanup(() => clearInterval(timer))
  }))

  /**
   * The rule's reference as a dashed line on the step axis, over the charted
   * runs' steps only (the completed runs' later steps would widen the view
   * away from the running ones), in the curves' buckets when they have some.
   */
  const drawBand = () => {
    if (!chart || !curves) return
    const answer = signals()
    let end = -Infinity
    for (const d of drawn.values()) end = Math.max(end, d.curve.lastX)
    const reference = new LiveCurve(0, layout)
    if (answer && props.x === 'step') {
      answer.band.step.forEach((x, i) => {
        if (x <= end) reference.append(x, fromWire(answer.band.value[i]!))
      })
    }
    if (band.length > 0 || reference.points.length > 0) {
      band = reference.points
      applyColors()
      redraw()
    }
    for (const [id, d] of drawn) markBest(d, id)
  }
  createEffect(() => {
    chart?.applyOptions({ rightPriceScale: { mode: props.logY ? PriceScaleMode.Logarithmic : PriceScaleMode.Normal } })
    curves?.applyOptions({ logY: props.logY })
  })

  return (
    <section class="chart-card" data-testid="chart-panel" data-metric={props.metricKey}>
      <header class="chart-head">
        <h3>{props.metricKey}</h3>
        <span class="muted chart-state">{state() === 'loading' ? 'loading…' : state() === 'empty' ? 'no points' : state() === 'ready' ? '' : state()}</span>
        <Show when={!following()}>
          <button type="button" class="icon" title="Show everything and follow new points (or double-click the plot)" data-testid="chart-reset-zoom" onClick={showAll}>
            ⤢
          </button>
        </Show>
        {props.onRemove && (
          <button type="button" class="icon" title="Remove panel" onClick={props.onRemove}>
            ×
          </button>
        )}
      </header>
      <div class="chart" ref={box} data-testid="live-chart" data-points={pointCount()} data-following={following()}>
        <div class="chart-canvas" ref={el} />
      </div>
      <Show when={props.stopping}>
        <div class="stop-candidates" data-testid="stop-candidates">
          <a href="/docs/stopping-rules.md" target="_blank" title="The rule's exact definition">{props.stopping!.rule}</a>{' '}
          {signals() ? `over ${signals()!.completed} completed runs · ` : 'computing… '}
          <Show when={signals()}>
            <Show when={candidates().length > 0} fallback={<span class="muted">no running run to stop now</span>}>
              <b>stop now:</b>{' '}
              <For each={candidates()}>
                {(id) => (
                  <a href={`/runs/${id}`} class="candidate" data-run-id={id} onClick={(e) => { if (!props.onOpenRun) return; e.preventDefault(); props.onOpenRun(id) }}>
                    <i class="swatch" style={{ background: colorFor(id) }} /> {props.names[id] || id.slice(0, 8)}
                  </a>
                )}
              </For>
            </Show>
            <Show when={props.x !== 'step'} fallback={
              <Show when={stopSteps().size > candidates().length}>
                <span class="muted" title="The first step at which the rule stops the run; a finished run is judged in hindsight, against today's completed runs">
                  ▽ where it would have stopped a run
                </span>
              </Show>
            }>
              <span class="muted" data-testid="stop-step-only">the median and stop marks are drawn with x = step</span>
            </Show>
          </Show>
        </div>
      </Show>
      <ul class="legend" data-testid="chart-legend">
        <li class="legend-x">{legend().x === undefined ? props.x : `${props.x} ${formatX(props.x, legend().x!)}`}</li>
        <For each={legendRuns()}>
          {(runId) => (
            <li>
              <i class="swatch" style={{ background: colorFor(runId) }} />
              {props.names[runId] || runId.slice(0, 8)} <b>{formatMetric(legend().values[runId])}</b>
            </li>
          )}
        </For>
      </ul>
    </section>
  )
}
