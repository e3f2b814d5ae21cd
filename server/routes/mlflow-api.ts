// MLflow's REST API (2.0), read-only: same paths, request fields, response
// shapes and error codes, so an MLflow client pointed at runwatch can read.
// Mounted under /api/2.0/mlflow and /ajax-api/2.0/mlflow.
import { createReadStream, existsSync, statSync } from 'node:fs'
import { Readable } from 'node:stream'
import { listValue } from '@duckdb/node-api'
import { Hono, type Context } from 'hono'
import type { RunSummary } from '../../protocol/index.ts'
import { ArtifactPathError, artifactRoot, listArtifacts, resolveInside, type StoreInfo } from '../artifacts.ts'
import type { RunIndex } from '../index/run-index.ts'
import { parseFilter, type Dialect } from '../query/filter-grammar.ts'
import { FilterSyntaxError } from '../query/filter-tokens.ts'
import { OrderBySyntaxError, parseOrderBy } from '../query/order-by.ts'
import { decodePageToken, encodePageToken, PageTokenError } from '../query/page-token.ts'
import { EXPERIMENT_ORDER_KEYS, searchExperiments, searchRuns, type ViewType } from '../query/search.ts'
import { bulkInterval, metricHistoryPage } from '../query/history.ts'
import { historyJson } from './history-json.ts'
import { jsonObject, jsonText, serverTiming } from './json-text.ts'
import { omitEmpty } from './mlflow-shapes.ts'
import { RunJsonCache } from './run-json.ts'

export interface MlflowApiContext {
  index: RunIndex
  store: StoreInfo
}

/** A request error, answered with MLflow's error body. */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 404 | 501,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

const invalid = (message: string) => new ApiError(400, 'INVALID_PARAMETER_VALUE', message)
const missing = (message: string) => new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', message)
const runNotFound = (runId: string) => missing(`Run '${runId}' not found`)

/** Longer filters are refused before parsing: no search needs them. */
export const MAX_FILTER_LENGTH = 64 * 1024

export function answerApiError(c: Context, err: unknown): Response | undefined {
  if (err instanceof ApiError) return c.json({ error_code: err.code, message: err.message }, err.status)
  if (err instanceof FilterSyntaxError || err instanceof OrderBySyntaxError || err instanceof PageTokenError) {
    return c.json({ error_code: 'INVALID_PARAMETER_VALUE', message: err.message }, 400)
  }
  return undefined
}

export function parseFilterParam(filter: unknown, dialect: Dialect, target: 'runs' | 'experiments' = 'runs') {
  if (filter === undefined || filter === null) return undefined
  if (typeof filter !== 'string') throw invalid('filter must be a string')
  if (filter.length > MAX_FILTER_LENGTH) throw invalid(`filter is ${filter.length} characters long; at most ${MAX_FILTER_LENGTH} are accepted`)
  return parseFilter(filter, dialect, target)
}

export function maxResults(value: unknown, fallback: number, limit: number): number {
  if (value === undefined || value === null || value === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > limit) throw invalid(`max_results must be an integer from 1 to ${limit}, got ${JSON.stringify(value)}`)
  return n
}

export function viewType(value: unknown): ViewType {
  if (value === undefined || value === null || value === '') return 'ACTIVE_ONLY'
  if (value === 'ACTIVE_ONLY' || value === 'DELETED_ONLY' || value === 'ALL') return value
  throw invalid(`view type must be ACTIVE_ONLY, DELETED_ONLY or ALL, got ${JSON.stringify(value)}`)
}

function stringList(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null) return undefined
  const list = Array.isArray(value) ? value : [value]
  if (!list.every((v) => typeof v === 'string' || typeof v === 'number')) throw invalid(`${name} must be a list of strings`)
  return list.map(String)
}

/** POST bodies are JSON; GET requests carry the same fields as query parameters. */
async function requestFields(c: Context): Promise<Record<string, unknown>> {
  if (c.req.method === 'GET') {
    const out: Record<string, unknown> = {}
    for (const [k, values] of Object.entries(c.req.queries())) out[k] = values.length > 1 || k.endsWith('_ids') || k === 'order_by' ? values : values[0]
    return out
  }
  const text = await c.req.text()
  if (text.trim() === '') return {}
  try {
    const body = JSON.parse(text) as unknown
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>
  } catch {
    // fall through
  }
  throw new ApiError(400, 'MALFORMED_REQUEST', 'the request body is not a JSON object')
}

// ---- shapes -----------------------------------------------------------------

type Row = Record<string, unknown>

async function experimentsJson(index: RunIndex, ids: string[]) {
  if (ids.length === 0) return []
  const rows = await index.rows(
    `SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time::DOUBLE AS creation_time,
            last_update_time::DOUBLE AS last_update_time FROM experiments WHERE list_contains($ids, experiment_id)`,
    { ids: listValue(ids) },
  )
  const tags = await index.rows('SELECT experiment_id, key, value FROM experiment_tags WHERE list_contains($ids, experiment_id) ORDER BY key', {
    ids: listValue(ids),
  })
  const byId = new Map<string, Row>(rows.map((r) => [r.experiment_id as string, r]))
  return ids.flatMap((id) => {
    const e = byId.get(id)
    if (!e) return []
    return [
      omitEmpty({
        experiment_id: id,
        name: e.name,
        artifact_location: e.artifact_location,
        lifecycle_stage: e.lifecycle_stage,
        creation_time: e.creation_time,
        last_update_time: e.last_update_time,
        tags: tags.filter((t) => t.experiment_id === id).map((t) => ({ key: t.key, value: t.value })),
      }),
    ]
  })
}

/** A run id that names a run (of any lifecycle stage), checked without a query. */
function knownRunId(index: RunIndex, runId: string | undefined): string {
  if (!runId) throw invalid('run_id is required')
  if (index.experimentOf(runId) === undefined) throw runNotFound(runId)
  return runId
}

async function runOrThrow(index: RunIndex, runId: string | undefined): Promise<RunSummary> {
  if (!runId) throw invalid('run_id is required')
  const [run] = await index.runSummaries({ runIds: [runId], includeDeleted: true })
  if (!run) throw runNotFound(runId)
  return run
}

// ---- routes -----------------------------------------------------------------

export function mlflowRoutes({ index, store }: MlflowApiContext): Hono {
  const api = new Hono()
  api.onError((err, c) => answerApiError(c, err) ?? (() => { throw err })())
  const runTexts = new RunJsonCache(index)

  const searchExperimentsHandler = async (c: Context) => {
    const f = await requestFields(c)
    const limit = maxResults(f.max_results, 1000, 50_000)
    const offset = decodePageToken(f.page_token as string | undefined)
    const orderBy = (stringList(f.order_by, 'order_by') ?? []).map((clause) => {
      const m = /^\s*(?:attribute\.|attributes\.)?(\w+)(?:\s+(ASC|DESC))?\s*$/i.exec(clause)
      if (!m || !EXPERIMENT_ORDER_KEYS.includes(m[1]!)) throw invalid(`invalid order_by clause '${clause}'; expected name, creation_time, last_update_time or experiment_id, then ASC or DESC`)
      return { key: m[1]!, descending: (m[2] ?? 'ASC').toUpperCase() === 'DESC' }
    })
    const page = await searchExperiments(index, {
      filter: parseFilterParam(f.filter, 'mlflow', 'experiments'),
      orderBy,
      viewType: viewType(f.view_type),
      offset,
      limit,
    })
    return c.json(
      omitEmpty({
        experiments: await experimentsJson(index, page.ids),
        next_page_token: page.more ? encodePageToken(offset + page.ids.length) : undefined,
      }),
    )
  }
  api.post('/experiments/search', searchExperimentsHandler)
  api.get('/experiments/search', searchExperimentsHandler)

  api.get('/experiments/get', async (c) => {
    const id = c.req.query('experiment_id')
    if (!id) throw invalid('experiment_id is required')
    const [experiment] = await experimentsJson(index, [id])
    if (!experiment) throw missing(`No Experiment with id=${id} exists`)
    return c.json({ experiment })
  })

  api.get('/experiments/get-by-name', async (c) => {
    const name = c.req.query('experiment_name')
    if (!name) throw invalid('experiment_name is required')
    const rows = await index.rows('SELECT experiment_id FROM experiments WHERE name = $name ORDER BY lifecycle_stage', { name })
    const [experiment] = await experimentsJson(index, rows.map((r) => r.experiment_id as string).slice(0, 1))
    if (!experiment) throw missing(`Could not find experiment with name '${name}'`)
    return c.json({ experiment })
  })

  const searchRunsHandler = async (c: Context) => {
    const t0 = performance.now()
    const f = await requestFields(c)
    const limit = maxResults(f.max_results, 1000, 50_000)
    const offset = decodePageToken(f.page_token as string | undefined)
    const page = await searchRuns(index, {
      experimentIds: stringList(f.experiment_ids, 'experiment_ids'),
      filter: parseFilterParam(f.filter, 'mlflow'),
      orderBy: parseOrderBy(stringList(f.order_by, 'order_by') ?? [], 'mlflow'),
      viewType: viewType(f.run_view_type),
      offset,
      limit,
    })
    const t1 = performance.now()
    const runs = await runTexts.runs(page.ids)
    serverTiming(c, ['search', 'runs'], [t0, t1, performance.now()])
    return jsonText(
      c,
      jsonObject({
        runs: runs.length > 0 ? runs : undefined,
        next_page_token: page.more ? JSON.stringify(encodePageToken(offset + page.ids.length)) : undefined,
      }),
    )
  }
  api.post('/runs/search', searchRunsHandler)
  api.get('/runs/search', searchRunsHandler)

  api.get('/runs/get', async (c) => {
    const runId = knownRunId(index, c.req.query('run_id') ?? c.req.query('run_uuid'))
    const [run] = await runTexts.runs([runId])
    // Removed between the check and the read.
    if (run === undefined) throw runNotFound(runId)
    return jsonText(c, jsonObject({ run }))
  })

  api.get('/metrics/get-history', async (c) => {
    const runId = knownRunId(index, c.req.query('run_id') ?? c.req.query('run_uuid'))
    const key = c.req.query('metric_key')
    if (!key) throw invalid('metric_key is required')
    const limit = maxResults(c.req.query('max_results'), 1e9, 1e9)
    const offset = decodePageToken(c.req.query('page_token'))
    const t0 = performance.now()
    const page = await metricHistoryPage(index, runId, key, offset, limit)
    const t1 = performance.now()
    const json = historyJson(key, page, page.more ? encodePageToken(offset + page.count) : undefined)
    serverTiming(c, ['read', 'json'], [t0, t1, performance.now()])
    return jsonText(c, json)
  })

  api.get('/metrics/get-history-bulk-interval', async (c) => {
    const runIds = c.req.queries('run_ids') ?? []
    if (runIds.length === 0) throw invalid('run_ids is required')
    if (runIds.length > 100) throw invalid(`at most 100 run_ids are accepted, got ${runIds.length}`)
    const key = c.req.query('metric_key')
    if (!key) throw invalid('metric_key is required')
    const limit = maxResults(c.req.query('max_results'), 320, 2500)
    const step = (name: string) => {
      const v = c.req.query(name)
      if (v === undefined || v === '') return undefined
      if (!/^-?\d+$/.test(v)) throw invalid(`${name} must be an integer`)
      return Number(v)
    }
    const start = step('start_step')
    const end = step('end_step')
    if ((start === undefined) !== (end === undefined)) throw invalid('start_step and end_step must be given together')
    if (start !== undefined && end !== undefined && start > end) throw invalid('start_step must not be greater than end_step')
    for (const id of runIds) knownRunId(index, id)
    return c.json(omitEmpty({ metrics: await bulkInterval(index, runIds, key, limit, start, end) }))
  })

  api.get('/artifacts/list', async (c) => {
    const run = await runOrThrow(index, c.req.query('run_id') ?? c.req.query('run_uuid'))
    const root = artifactRoot(store, run)
    const path = c.req.query('path') ?? ''
    try {
      const files = root ? await listArtifacts(root, path) : []
      return c.json(omitEmpty({ root_uri: run.artifactUri, files }))
    } catch (err) {
      if (err instanceof ArtifactPathError) throw invalid(err.message)
      throw err
    }
  })

  return api
}

/** GET /get-artifact?run_uuid=&path= : one artifact file, streamed. */
export function artifactDownload({ index, store }: MlflowApiContext) {
  return async (c: Context) => {
    try {
      const run = await runOrThrow(index, c.req.query('run_uuid') ?? c.req.query('run_id'))
      const path = c.req.query('path')
      if (!path) throw invalid('path is required')
      const root = artifactRoot(store, run)
      if (!root) throw missing(`Run '${run.runId}' has no artifacts here`)
      let file: string
      try {
        file = resolveInside(root, path)
      } catch (err) {
        if (err instanceof ArtifactPathError) throw invalid(err.message)
        throw err
      }
      if (!existsSync(file) || !statSync(file).isFile()) throw missing(`No artifact '${path}' in run '${run.runId}'`)
      const size = statSync(file).size
      return new Response(Readable.toWeb(createReadStream(file)) as ReadableStream, {
        headers: { 'Content-Type': contentType(file), 'Content-Length': String(size), 'X-Content-Type-Options': 'nosniff' },
      })
    } catch (err) {
      const answered = answerApiError(c, err)
      if (answered) return answered
      throw err
    }
  }
}

const TYPES: Record<string, string> = {
  txt: 'text/plain; charset=utf-8', log: 'text/plain; charset=utf-8', md: 'text/plain; charset=utf-8', yaml: 'text/plain; charset=utf-8',
  yml: 'text/plain; charset=utf-8', csv: 'text/plain; charset=utf-8', json: 'application/json', png: 'image/png', jpg: 'image/jpeg',
  jpeg: 'image/jpeg', gif: 'image/gif', svg: 'text/plain; charset=utf-8', html: 'text/plain; charset=utf-8', mlmodel: 'text/plain; charset=utf-8',
}

function contentType(file: string): string {
  const base = file.split('/').pop()!
  if (base === 'MLmodel') return TYPES.mlmodel!
  return TYPES[base.split('.').pop()!.toLowerCase()] ?? 'application/octet-stream'
}

/** Every other MLflow endpoint writes: runwatch never does. */
export function readOnlyAnswer(c: Context): Response {
  if (c.req.method === 'GET') return c.json({ error_code: 'ENDPOINT_NOT_FOUND', message: `runwatch does not serve ${c.req.path}` }, 404)
  return c.json(
    { error_code: 'NOT_IMPLEMENTED', message: `runwatch is a read-only view of the tracking store; ${c.req.method} ${c.req.path} is not available. Write with MLflow itself.` },
    501,
  )
}

