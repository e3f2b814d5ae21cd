// The one vocabulary shared by server and client: REST payloads and the
// JSON frames on /ws. Types, plus the helpers that define how values travel:
// non-finite numbers in JSON (which has no NaN or Infinity), live cursors,
// one value per step, and the series query's binary frames.

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED'
export type LifecycleStage = 'active' | 'deleted'

/** A metric value as it travels in JSON: non-finite values become strings. */
export type WireNumber = number | 'NaN' | 'Infinity' | '-Infinity'

export function toWire(value: number): WireNumber {
  if (Number.isFinite(value)) return value
  if (Number.isNaN(value)) return 'NaN'
  return value > 0 ? 'Infinity' : '-Infinity'
}

export function fromWire(value: WireNumber): number {
  if (typeof value === 'number') return value
  if (value === 'NaN') return NaN
  return value === 'Infinity' ? Infinity : -Infinity
}

export interface ExperimentSummary {
  experimentId: string
  name: string
  lifecycleStage: LifecycleStage
  creationTime: number | null
  lastUpdateTime: number | null
  runCount: number
  runningCount: number
  /** Latest start time of any of its runs, for "most recent activity". */
  lastRunStart: number | null
  tags: Record<string, string>
}

export interface DatasetInputSummary {
  name: string
  digest: string
  sourceType: string
  context: string | null
}

export interface LatestMetric {
  value: WireNumber
  step: number
  timestamp: number
}

/** See docs/stopping-rules.md: silent for too long while RUNNING, or NaN/Inf or a runaway loss. */
export type RunHealth = 'ok' | 'stalled' | 'diverged'

export interface RunSummary {
  runId: string
  experimentId: string
  name: string
  status: RunStatus
  startTime: number | null
  endTime: number | null
  lifecycleStage: LifecycleStage
  userId: string
  artifactUri: string
  params: Record<string, string>
  tags: Record<string, string>
  metrics: Record<string, LatestMetric>
  /** Dataset inputs, when the run logged any. */
  inputs?: DatasetInputSummary[]
  /** The server's judgement of the run at the time of this summary. */
  health?: RunHealth
  /** Only in a subscription with `signals`: the early-stopping rule's verdict on this run. */
  stop?: StopSignal
}

// ---- early-stopping signals (docs/stopping-rules.md) ------------------------------

export type SignalRule = 'median' | 'vizier' | 'asha'
export type Direction = 'minimize' | 'maximize'

/** Which rule to apply to which metric; the runs are the request's or the subscription's. */
export interface SignalRequest {
  key: string
  direction: Direction
  rule: SignalRule
  /** median (Optuna's MedianPruner): completed runs needed before any stop (default 5). */
  nStartupTrials?: number
  /** median: no stop before this step (default 0). */
  nWarmupSteps?: number
  /** median: judge once per this many steps after the warm-up (default 1). */
  intervalSteps?: number
  /** median: completed runs with a value at the step needed for a stop there (default 1). */
  nMinTrials?: number
  /** vizier: no stop before this step (default 0); asha: the first rung (default 1). */
  gracePeriod?: number
  /** vizier: completed runs that reached the step needed for a stop there (default 3). */
  minSamples?: number
  /** asha: η, rungs at gracePeriod × η^k (default 4). */
  reductionFactor?: number
  /** asha: the last rung is at most this step (default 100). */
  maxT?: number
}

export interface StopSignal {
  /** The first step at which the rule would have stopped the run; null if none. */
  wouldStopAt: number | null
  /** RUNNING, and the rule's latest decision on it is "stop". */
  candidate: boolean
}

/** The reference a run is compared with, per step (median, vizier) or per rung (asha). */
export interface SignalBand {
  step: number[]
  value: WireNumber[]
  /** How many completed runs (median, vizier) or recorded runs (asha) it is taken over. */
  count: number[]
}

/** Keys in use, for column pickers and autocompletion. */
export interface RunKeys {
  metrics: string[]
  params: string[]
  tags: string[]
}

export interface MetricStats {
  min: WireNumber | null
  max: WireNumber | null
  /** Points logged. */
  count: number
}

export interface RunLink {
  runId: string
  /** Absent for a parent that is not in the store. */
  name?: string
  status?: RunStatus
}

/** GET /api/run: what the run page shows. */
export interface RunDetails {
  run: RunSummary
  metricStats: Record<string, MetricStats>
  parent: RunLink | null
  children: (RunLink & { name: string; status: RunStatus })[]
}

/** One metric series of one run, columnar. */
export interface SeriesColumns {
  step: number[]
  timestamp: number[]
  value: WireNumber[]
}

export interface MetricHistoryResponse extends SeriesColumns {
  runId: string
  key: string
}

// ---- /ws frames -------------------------------------------------------------

export interface SubscribeMessage {
  type: 'subscribe'
  sub: string
  /** All experiments when left out. */
  experimentIds?: string[]
  /** All metric keys when left out. */
  metrics?: string[]
  filter?: string
  cursor?: string
  /**
   * false: leave out the current state (runs and points) and send only
   * `synced`, then live deltas — for a client that reads the state by query
   * (the paged run table) and only needs to hear what changes.
   */
  snapshot?: boolean
  /**
   * About this many points per series in the snapshot, for a view that draws
   * a whole curve small (the wall): each stretch of a series (in store order)
   * keeps its first, last, lowest and highest point. Live points come whole.
   */
  snapshotPoints?: number
  /** Early-stopping signals over the subscription's runs: `stop` on its runs, `signals` frames with the band. */
  signals?: SignalRequest
}

export interface UnsubscribeMessage {
  type: 'unsubscribe'
  sub: string
}

export type ClientMessage = SubscribeMessage | UnsubscribeMessage

export interface RunsMessage {
  type: 'runs'
  sub: string
  upsert: RunSummary[]
  remove: string[]
}

export interface PointsMessage extends SeriesColumns {
  type: 'points'
  sub: string
  runId: string
  key: string
  cursor?: string
}

export interface SyncedMessage {
  type: 'synced'
  sub: string
  cursor?: string
}

export interface ErrorMessage {
  type: 'error'
  sub?: string
  code: string
  message: string
  /** For BAD_FILTER: the 1-based column of the mistake. */
  column?: number
}

/**
 * The client fell too far behind: the server stopped sending for this
 * subscription. Subscribe again with the cursor (the client library does).
 */
export interface ResyncMessage {
  type: 'resync'
  sub: string
}

/** `POST /api/signals`: the rule's verdicts on every selected run, columnar. */
export interface SignalsResponse {
  key: string
  direction: Direction
  rule: SignalRule
  /** Every parameter of the rule, defaults filled in. */
  parameters: Record<string, number>
  /** Selected runs that are FINISHED: the completed runs the median rules compare with. */
  completed: number
  runs: {
    runId: string[]
    status: RunStatus[]
    wouldStopAt: (number | null)[]
    candidate: boolean[]
    /** The run's last step of the metric, null without one. */
    lastStep: (number | null)[]
    /** Its best value so far (lowest when minimizing), null when it has no non-NaN value. */
    best: (WireNumber | null)[]
  }
  band: SignalBand
  /** asha only: each run at each rung it reached. */
  rungs?: { runId: string[]; rung: number[]; step: number[]; value: WireNumber[]; inTop: boolean[]; stop: boolean[] }
}

/** The band of a subscription's signals: after its first `runs` frame, then whenever it changed. */
export interface SignalsMessage {
  type: 'signals'
  sub: string
  key: string
  direction: Direction
  rule: SignalRule
  band: SignalBand
}

export type ServerMessage = RunsMessage | PointsMessage | SyncedMessage | ErrorMessage | ResyncMessage | SignalsMessage

/**
 * Only on a connection opened as `/ws?batch=1`: the `points` frames of one
 * publish, in order, as one WebSocket message (a few hundred small messages
 * per display frame cost a browser more than one larger one).
 */
export interface BatchMessage {
  type: 'batch'
  frames: PointsMessage[]
}

/** What arrives on the socket: a ServerMessage, or with `?batch=1` also a batch of them. */
export type WireMessage = ServerMessage | BatchMessage

// ---- live cursors --------------------------------------------------------------

/**
 * Where a subscription's client is in each series: the number of points of the
 * series (in store order) it holds. `points` frames carry the new position of
 * their series; a client resumes by subscribing with all of them. Positions
 * count the store's own data, so any runwatch process on the same store can
 * resume them.
 */
export type SeriesPositions = Map<string, number>

export function positionKey(runId: string, key: string): string {
  return `${runId}\u0000${key}`
}

export function encodeCursor(positions: SeriesPositions): string {
  return JSON.stringify({ v: 1, series: [...positions].map(([k, n]) => [...k.split('\u0000'), n]) })
}

/** undefined when the text is not a cursor. */
export function decodeCursor(text: string): SeriesPositions | undefined {
  try {
    const doc = JSON.parse(text) as { v?: unknown; series?: unknown }
    if (doc.v !== 1 || !Array.isArray(doc.series)) return undefined
    const out: SeriesPositions = new Map()
    for (const entry of doc.series) {
      if (!Array.isArray(entry) || entry.length !== 3) return undefined
      const [runId, key, n] = entry as unknown[]
      if (typeof runId !== 'string' || typeof key !== 'string' || !Number.isInteger(n) || (n as number) < 0) return undefined
      out.set(positionKey(runId, key), n as number)
    }
    return out
  } catch {
    return undefined
  }
}

// ---- series shape ----------------------------------------------------------------

export interface SeriesData {
  step: number[]
  value: number[]
}

/**
 * Drawn series (charts, the series query) have one value per step, strictly
 * increasing. Merges points (in arrival order) into a strictly increasing series:
 * a larger step is appended, an equal step replaces the last value, an older
 * step cannot be drawn live and is dropped. Returns what happened.
 */
export function mergeIncreasing(target: SeriesData, steps: ArrayLike<number>, values: ArrayLike<number>): { from: number; replacedLast: boolean } {
  const from = target.step.length
  let replacedLast = false
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!
    const last = target.step.length - 1
    const lastStep = last >= 0 ? target.step[last]! : -Infinity
    if (step > lastStep) {
      target.step.push(step)
      target.value.push(values[i]!)
    } else if (step === lastStep) {
      target.value[last] = values[i]!
      if (last < from) replacedLast = true
    }
  }
  return { from, replacedLast }
}

/** A full series (sorted by step, then time) reduced to one value per step: the last logged. */
export function lastPerStep(steps: ArrayLike<number>, values: ArrayLike<number>): SeriesData {
  const out: SeriesData = { step: [], value: [] }
  mergeIncreasing(out, steps, values)
  return out
}


// ---- series frames ---------------------------------------------------------------

/**
 * The series query's answer in binary, for runwatch's own client (asked for
 * with `Accept: application/vnd.runwatch.series`; JSON otherwise). 100 runs
 * × 4,000 grid points are 400,000 numbers: as JSON, 2.2 MB that the server
 * spends ~18 ms writing and the browser ~15 ms parsing; as doubles, one copy
 * each way, and the client keeps them as typed arrays.
 *
 * Layout: a little-endian uint32, the byte length of a JSON header
 * (SeriesFrameHeader); the header; zero bytes up to a multiple of 8; then
 * float64 columns of `length` values each: the grid, every run's y in the
 * header's order, and every run's raw when `raw` is true. An empty slot is
 * NaN; a logged NaN is NaN too, and its slot is listed in `nanAt`.
 */
export const SERIES_FRAME_TYPE = 'application/vnd.runwatch.series'

export interface SeriesFrameHeader {
  key: string
  x: string
  exact: boolean
  cursor: string
  length: number
  raw: boolean
  runs: { runId: string; nanAt?: number[]; rawNanAt?: number[] }[]
}

export interface SeriesFrameRun {
  runId: string
  /** NaN: no value in this slot, unless the slot is in nanAt. */
  y: Float64Array
  raw?: Float64Array
  /** Slots of y that hold a logged NaN. */
  nanAt?: number[]
  rawNanAt?: number[]
}

export interface SeriesFrame {
  key: string
  x: string
  exact: boolean
  cursor: string
  grid: Float64Array
  runs: SeriesFrameRun[]
}

const FRAME_ALIGN = 8

export function encodeSeriesFrame(header: SeriesFrameHeader, grid: ArrayLike<number>, columns: ArrayLike<number>[]): Uint8Array<ArrayBuffer> {
  const text = new TextEncoder().encode(JSON.stringify(header))
  const start = Math.ceil((4 + text.length) / FRAME_ALIGN) * FRAME_ALIGN
  const out = new Uint8Array(start + (1 + columns.length) * header.length * 8)
  new DataView(out.buffer).setUint32(0, text.length, true)
  out.set(text, 4)
  const values = new Float64Array(out.buffer, start)
  values.set(grid, 0)
  columns.forEach((column, i) => values.set(column, (i + 1) * header.length))
  return out
}

/** Throws on a frame that does not hold what its header says. */
export function decodeSeriesFrame(buffer: ArrayBuffer): SeriesFrame {
  const length = new DataView(buffer).getUint32(0, true)
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length))) as SeriesFrameHeader
  const start = Math.ceil((4 + length) / FRAME_ALIGN) * FRAME_ALIGN
  const n = header.length
  const columns = (1 + header.runs.length * (header.raw ? 2 : 1))
  if (buffer.byteLength !== start + columns * n * 8) throw new Error(`series frame of ${buffer.byteLength} bytes, expected ${start + columns * n * 8}`)
  const column = (i: number) => new Float64Array(buffer, start + i * n * 8, n)
  const runs = header.runs.map((r, i): SeriesFrameRun => ({
    runId: r.runId,
    y: column(1 + i),
    ...(header.raw ? { raw: column(1 + header.runs.length + i) } : {}),
    ...(r.nanAt ? { nanAt: r.nanAt } : {}),
    ...(r.rawNanAt ? { rawNanAt: r.rawNanAt } : {}),
  }))
  return { key: header.key, x: header.x, exact: header.exact, cursor: header.cursor, grid: column(0), runs }
}

/** A frame's column as points: the slots holding a value (a logged NaN included), in grid order. */
export function frameSeriesData(grid: Float64Array, values: Float64Array, nanAt: number[] | undefined): SeriesData {
  const out: SeriesData = { step: [], value: [] }
  let nextNan = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (v !== v) {
      if (nanAt?.[nextNan] !== i) continue
      nextNan++
    }
    out.step.push(grid[i]!)
    out.value.push(v)
  }
  return out
}
