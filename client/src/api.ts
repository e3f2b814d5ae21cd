import { decodeSeriesFrame, SERIES_FRAME_TYPE, type ExperimentSummary, type RunDetails, type RunKeys, type SeriesFrame, type SignalRule, type WireNumber } from '../../protocol/index.ts'
import type { RunsPage, RunsQuery } from './state/run-pages.ts'
import type { XMode } from './state/view-state.ts'

/** An answer of the server's own API that is not a success, with its message. */
export class ApiProblem extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly column?: number,
  ) {
    super(message)
  }
}

async function answer<T>(res: Response, what: string): Promise<T> {
  const body = (await res.json().catch(() => undefined)) as { error?: { message?: string; column?: number }; message?: string } | undefined
  if (!res.ok) throw new ApiProblem(body?.error?.message ?? body?.message ?? `${what}: HTTP ${res.status}`, res.status, body?.error?.column)
  return body as T
}

const getJson = async <T,>(path: string): Promise<T> => answer<T>(await fetch(path), path)
const postJson = async <T,>(path: string, body: unknown): Promise<T> =>
  answer<T>(await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }), path)

const repeated = (name: string, values: string[]) => values.map((v) => `${name}=${encodeURIComponent(v)}`).join('&')

/** The store's tracking URI as MLflow spells it, for the hint that shows how to log a first run. */
export async function fetchTrackingUri(): Promise<string> {
  const { store } = await getJson<{ store: { kind: 'file' | 'sqlite'; path: string } }>('/api/status')
  return store.kind === 'sqlite' ? `sqlite:///${store.path}` : `file:${store.path}`
}

export async function fetchExperiments(): Promise<ExperimentSummary[]> {
  return (await getJson<{ experiments: ExperimentSummary[] }>('/api/experiments')).experiments
}

export function fetchKeys(experimentIds: string[]): Promise<RunKeys> {
  return getJson<RunKeys>(`/api/keys?${repeated('experimentId', experimentIds)}`)
}

export function fetchRunsPage(query: RunsQuery, offset: number, limit: number): Promise<RunsPage> {
  return postJson<RunsPage>('/api/runs/query', {
    ...(query.experimentIds ? { experimentIds: query.experimentIds } : {}),
    ...(query.filter.trim() ? { filter: query.filter } : {}),
    orderBy: query.orderBy,
    columns: query.columns,
    offset,
    limit,
  })
}

export function fetchRunDetails(runId: string): Promise<RunDetails> {
  return getJson<RunDetails>(`/api/run?runId=${encodeURIComponent(runId)}`)
}

/** The series query's answer, read from its binary frame (protocol: SERIES_FRAME_TYPE). */
export type SeriesAnswer = SeriesFrame

export interface SeriesRequest {
  runIds: string[]
  key: string
  x: XMode
  budget: number
  range?: [number, number]
  /** The EMA weight; 0 or left out: unsmoothed. */
  smoothing?: number
}

export function fetchSeries(request: SeriesRequest): Promise<SeriesAnswer> {
  return startSeries(request).then(readSeries)
}

/** The series query's request body: two reads of the same request have the same body. */
export function seriesBody(request: SeriesRequest): string {
  const { smoothing, ...rest } = request
  return JSON.stringify({ ...rest, ...(smoothing ? { smoothing: { kind: 'ema', weight: smoothing } } : {}) })
}

/** Sends the series query; readSeries reads its answer (apart: the boot script sends, the app reads). */
export function startSeries(request: SeriesRequest): Promise<Response> {
  return fetch('/api/series', { method: 'POST', headers: { 'content-type': 'application/json', accept: SERIES_FRAME_TYPE }, body: seriesBody(request) })
}

export async function readSeries(res: Response): Promise<SeriesAnswer> {
  if (!res.ok || res.headers.get('content-type') !== SERIES_FRAME_TYPE) return answer<never>(res, '/api/series')
  return decodeSeriesFrame(await res.arrayBuffer())
}

export interface ArtifactFile {
  path: string
  is_dir: boolean
  file_size?: number
}

export async function listArtifacts(runId: string, path: string): Promise<ArtifactFile[]> {
  const body = await getJson<{ files?: ArtifactFile[] }>(`/api/2.0/mlflow/artifacts/list?run_id=${encodeURIComponent(runId)}&path=${encodeURIComponent(path)}`)
  return body.files ?? []
}

export function artifactUrl(runId: string, path: string): string {
  return `/get-artifact?run_uuid=${encodeURIComponent(runId)}&path=${encodeURIComponent(path)}`
}

/** The experiment a user most likely wants: one with a running run, else the newest run; never an empty one. */
export function mostRecentlyActive(experiments: ExperimentSummary[]): ExperimentSummary | undefined {
  const score = (e: ExperimentSummary) => [e.runningCount > 0 ? 1 : 0, e.lastRunStart ?? -Infinity, e.runCount] as const
  return [...experiments].sort((a, b) => {
    const [x, y] = [score(a), score(b)]
    return y[0] - x[0] || y[1] - x[1] || y[2] - x[2]
  })[0]
}

export function liveSocketUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${location.host}/ws`
}

export interface SignalsAnswer {
  completed: number
  runs: { runId: string[]; status: string[]; wouldStopAt: (number | null)[]; candidate: boolean[]; lastStep: (number | null)[]; best: (WireNumber | null)[] }
  band: { step: number[]; value: WireNumber[]; count: number[] }
}

export function fetchSignals(request: { experimentIds: string[]; filter: string; key: string; lowerIsBetter: boolean; rule: SignalRule }): Promise<SignalsAnswer> {
  return postJson<SignalsAnswer>('/api/signals', {
    experimentIds: request.experimentIds,
    ...(request.filter.trim() ? { filter: request.filter } : {}),
    key: request.key,
    direction: request.lowerIsBetter ? 'minimize' : 'maximize',
    rule: request.rule,
  })
}
