// The one vocabulary shared by server and client: REST payloads and the
// JSON frames on /ws. Types only, plus the two helpers that define how
// non-finite numbers travel (JSON has no NaN or Infinity).

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

export type ServerMessage = RunsMessage | PointsMessage | SyncedMessage | ErrorMessage
