// runwatch's own JSON API for the UI. Compact shapes from protocol/.
import { Hono, type Context } from 'hono'
import { parseOrderBy } from '../query/order-by.ts'
import { FilterSyntaxError } from '../query/filter-tokens.ts'
import { parseColumns, runColumns } from '../query/run-columns.ts'
import { searchRuns } from '../query/search.ts'
import { runKeys } from '../query/keys.ts'
import { runDetails } from '../query/run-details.ts'
import { encodeCursor, SERIES_FRAME_TYPE } from '../../protocol/index.ts'
import { querySeries, type SeriesRequest } from '../query/series/query.ts'
import { answerApiError, ApiError, maxResults, parseFilterParam, viewType } from './mlflow-api.ts'
import { jsonText, serverTiming } from './json-text.ts'
import { seriesFrame } from './series-frame.ts'
import type { StoreInfo } from '../artifacts.ts'
import type { RunIndex } from '../index/run-index.ts'
import { SignalSession } from '../signals/session.ts'
import { parseSignalSpec, SignalSpecError } from '../signals/spec.ts'

export interface ApiContext {
  index: RunIndex
  store: StoreInfo & { demo: boolean }
  /** Live connections, for the status report. */
  live?: { clientCount: number; slowestClientBytes: number }
}

async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  try {
    const body = (await c.req.json()) as unknown
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>
  } catch {
    // fall through
  }
  throw new ApiError(400, 'MALFORMED_REQUEST', 'the request body is not a JSON object')
}

function stringList(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `${name} must be a list of strings`)
  return value as string[]
}

export function apiRoutes({ index, store, live }: ApiContext): Hono {
  const api = new Hono()

  api.get('/status', async (c) => {
    const mb = (bytes: number) => Math.round(bytes / 2 ** 20)
    return c.json({
      store, runs: index.runs, points: index.points, overviews: index.hasBlocks ? 'ready' : 'building',
      ...(live ? { live: { clients: live.clientCount, slowestClientBytes: live.slowestClientBytes } } : {}),
      // RSS grows with the points indexed (DuckDB); the JS heap must not.
      memoryMb: { rss: mb(process.memoryUsage.rss()), jsHeap: mb(process.memoryUsage().heapUsed), index: mb(await index.memoryBytes()) },
    })
  })

  api.get('/experiments', async (c) => c.json({ experiments: await index.experiments() }))

  api.get('/runs', async (c) => {
    const experimentIds = c.req.queries('experimentId')
    return c.json({ runs: await index.runSummaries(experimentIds ? { experimentIds } : {}) })
  })

  api.get('/keys', async (c) => c.json(await runKeys(index, c.req.queries('experimentId'))))

  api.get('/run', async (c) => {
    const runId = c.req.query('runId')
    if (!runId) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'runId is required')
    const details = await runDetails(index, runId)
    if (!details) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `run '${runId}' not found`)
    return c.json(details)
  })

  api.get('/metrics/history', async (c) => {
    const runId = c.req.query('runId')
    const key = c.req.query('key')
    if (!runId || !key) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'runId and key are required')
    if (index.experimentOf(runId) === undefined) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `run '${runId}' not found`)
    return c.json(await index.metricHistory(runId, key))
  })

  // A page of a search, with chosen columns: the run table at 10,000 runs.
  api.post('/runs/query', async (c) => {
    const f = await jsonBody(c)
    let columns: ReturnType<typeof parseColumns>
    try {
      columns = parseColumns(stringList(f.columns, 'columns') ?? ['run_name', 'status', 'start_time'])
    } catch (err) {
      if (err instanceof FilterSyntaxError) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `columns: ${err.message.replace(/ at column \d+$/, '')}`)
      throw err
    }
    const limit = maxResults(f.limit, 100, 10_000)
    const offset = f.offset === undefined ? 0 : Number(f.offset)
    if (!Number.isInteger(offset) || offset < 0) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'offset must be a non-negative integer')
    const page = await searchRuns(index, {
      experimentIds: stringList(f.experimentIds, 'experimentIds'),
      filter: parseFilterParam(f.filter, 'runwatch'),
      orderBy: parseOrderBy(stringList(f.orderBy, 'orderBy') ?? [], 'runwatch'),
      viewType: viewType(f.viewType),
      offset,
      limit,
      countTotal: true,
    })
    return c.json({ total: page.total, offset, runIds: page.ids, columns: await runColumns(index, page.ids, columns) })
  })

  api.post('/series', async (c) => {
    const f = await jsonBody(c)
    const runIds = stringList(f.runIds, 'runIds') ?? []
    if (runIds.length > 1000) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'at most 1000 runs per series query')
    if (typeof f.key !== 'string' || f.key === '') throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'key (the metric) is required')
    const x = f.x ?? 'step'
    if (x !== 'step' && x !== 'relative' && x !== 'wall') throw new ApiError(400, 'INVALID_PARAMETER_VALUE', "x must be 'step', 'relative' or 'wall'")
    const range = f.range as unknown
    if (range !== undefined && !(Array.isArray(range) && range.length === 2 && range.every((v) => typeof v === 'number') && (range[0] as number) <= (range[1] as number))) {
      throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'range must be [from, to] with from <= to')
    }
    const budget = maxResults(f.budget, 1000, 100_000)
    const smoothing = f.smoothing as SeriesRequest['smoothing'] | undefined
    if (smoothing !== undefined) {
      const ok = (smoothing.kind === 'ema' && typeof smoothing.weight === 'number' && smoothing.weight >= 0 && smoothing.weight <= 1) ||
        (smoothing.kind === 'sma' && typeof smoothing.window === 'number' && smoothing.window >= 1)
      if (!ok) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', "smoothing must be {kind: 'ema', weight: 0..1} or {kind: 'sma', window: >= 1}")
    }
    // Positions taken before the query: a live subscription from this cursor may repeat a
    // point the query already holds (the chart's merge keeps one value per step), never miss one.
    const cursor = encodeCursor(index.positions(runIds, f.key))
    const t0 = performance.now()
    const answer = await querySeries(index, { runIds, key: f.key, x, budget, ...(range ? { range: range as [number, number] } : {}), ...(smoothing ? { smoothing } : {}) })
    const t1 = performance.now()
    if (c.req.header('accept')?.includes(SERIES_FRAME_TYPE)) {
      const frame = seriesFrame(answer, cursor)
      serverTiming(c, ['query', 'frame'], [t0, t1, performance.now()])
      return c.body(frame, 200, { 'Content-Type': SERIES_FRAME_TYPE })
    }
    const json = Buffer.from(JSON.stringify({ ...answer, cursor }))
    serverTiming(c, ['query', 'json'], [t0, t1, performance.now()])
    return jsonText(c, json)
  })

  // Early-stopping signals over a selection of runs, computed from scratch (docs/stopping-rules.md).
  api.post('/signals', async (c) => {
    const f = await jsonBody(c)
    const experimentIds = stringList(f.experimentIds, 'experimentIds')
    if (!experimentIds) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'experimentIds must be a list of strings')
    const filter = parseFilterParam(f.filter, 'runwatch')
    let spec: ReturnType<typeof parseSignalSpec>
    try {
      spec = parseSignalSpec(f, ['experimentIds', 'filter'])
    } catch (err) {
      if (err instanceof SignalSpecError) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', err.message)
      throw err
    }
    const session = await SignalSession.open(index, { experimentIds, ...(filter ? { filter } : {}) }, spec)
    try {
      return c.json(await session.answer())
    } finally {
      session.close()
    }
  })

  api.onError((err, c) => {
    if (err instanceof FilterSyntaxError) return c.json({ error: { code: 'INVALID_FILTER', message: err.message, column: err.column } }, 400)
    if (err instanceof ApiError) return c.json({ error: { code: err.code, message: err.message } }, err.status)
    const answered = answerApiError(c, err)
    if (answered) return answered
    throw err
  })

  api.notFound((c) => c.json({ error: { code: 'ENDPOINT_NOT_FOUND', message: `no endpoint ${c.req.method} ${c.req.path}` } }, 404))
  return api
}
