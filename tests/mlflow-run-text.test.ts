// runs/search and runs/get write each run's JSON from cached text (run-json.ts).
// The bytes must be those of the object-built version (runJson +
// JSON.stringify) on stores written by real MLflow, and stay so as runs change.
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunSummary } from '../protocol/index.ts'
import { toWire } from '../protocol/index.ts'
import type { RunIndex } from '../server/index/run-index.ts'
import { omitEmpty, runJson } from '../server/routes/mlflow-shapes.ts'
import { RunJsonCache } from '../server/routes/run-json.ts'
import { copyFixtureFileStore, copyFixtureSqliteStore, MLFLOW_VERSIONS, tempDir } from './helpers/fixtures.ts'
import { serveStore } from './helpers/in-process-server.ts'
import { waitFor } from './helpers/wait.ts'

type Server = Awaited<ReturnType<typeof serveStore>>

/** Entries in key order: MLflow promises none, runwatch answers in this one. */
const byKey = <T>(o: Record<string, T>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

/** The object-built run, with the latest metrics the index keeps in memory. */
async function builtRuns(index: RunIndex, runIds: string[]): Promise<ReturnType<typeof runJson>[]> {
  const runs = await index.runSummaries({ runIds, includeDeleted: true, keepOrder: true })
  return runs.map((r) => {
    const metrics: RunSummary['metrics'] = {}
    for (const [key, m] of index.latestMetrics(r.runId)) metrics[key] = { value: toWire(m.value), step: m.step, timestamp: m.timestamp }
    expect(metrics).toEqual(r.metrics)
    return runJson({ ...r, params: byKey(r.params), tags: byKey(r.tags), metrics: byKey(metrics) })
  })
}

async function text(server: Server, path: string, body?: unknown): Promise<{ text: string; type: string | null }> {
  const res = await fetch(server.url + path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
  return { text: await res.text(), type: res.headers.get('content-type') }
}

async function expectSameBytes(server: Server): Promise<number> {
  const search = await text(server, '/api/2.0/mlflow/runs/search', { run_view_type: 'ALL', max_results: 1000 })
  const ids = (JSON.parse(search.text) as { runs: { info: { run_id: string } }[] }).runs.map((r) => r.info.run_id)
  const built = await builtRuns(server.index, ids)
  expect(search.text).toBe(JSON.stringify(omitEmpty({ runs: built })))
  expect(search.type).toBe('application/json')
  for (const [i, id] of ids.entries()) expect((await text(server, `/api/2.0/mlflow/runs/get?run_id=${id}`)).text).toBe(JSON.stringify({ run: built[i] }))
  return ids.length
}

describe.each(MLFLOW_VERSIONS)('run JSON as text, on the %s stores', (version) => {
  let cleanup: () => void
  const servers: Server[] = []
  beforeAll(async () => {
    const dir = tempDir()
    cleanup = dir.remove
    servers.push(await serveStore({ kind: 'file', path: copyFixtureFileStore(version, dir.path) }))
    servers.push(await serveStore({ kind: 'sqlite', path: copyFixtureSqliteStore(version, dir.path) }))
  })
  afterAll(async () => {
    for (const s of servers) await s.close()
    cleanup?.()
  })

  it('writes the same bytes as the object-built version, again and again', async () => {
    for (const server of servers) {
      expect(await expectSameBytes(server)).toBe(20)
      expect(await expectSameBytes(server)).toBe(20)
    }
  })

  it('pages with the same token and leaves out an empty list', async () => {
    const server = servers[0]!
    const page = await text(server, '/api/2.0/mlflow/runs/search', { max_results: 3 })
    expect(JSON.parse(page.text)).toMatchObject({ next_page_token: Buffer.from('{"offset":3}').toString('base64') })
    expect((await text(server, '/api/2.0/mlflow/runs/search', { filter: "params.lr = 'none'" })).text).toBe('{}')
  })
})

describe('run JSON as text, as runs change', () => {
  let server: Server
  let root: string
  let cleanup: () => void
  beforeAll(async () => {
    const dir = tempDir()
    cleanup = dir.remove
    root = copyFixtureFileStore('mlflow-3.6', dir.path)
    server = await serveStore({ kind: 'file', path: root })
  })
  afterAll(async () => {
    await server?.close()
    cleanup?.()
  })

  const runDir = (runId: string) => {
    const exp = readdirSync(root).find((e) => readdirSync(join(root, e)).includes(runId))!
    return join(root, exp, runId)
  }
  const get = async (runId: string) => JSON.parse((await text(server, `/api/2.0/mlflow/runs/get?run_id=${runId}`)).text).run

  it('follows new tags, params and points, and stays byte for byte the object-built version', async () => {
    await expectSameBytes(server)
    const [runId] = (await server.index.runSummaries()).map((r) => r.runId)
    const dir = runDir(runId!)
    writeFileSync(join(dir, 'tags', 'stage'), 'tuned')
    writeFileSync(join(dir, 'params', 'warmup'), '100')
    // Integer-like keys, which a JS object lists first.
    writeFileSync(join(dir, 'params', '10'), 'ten')
    writeFileSync(join(dir, 'metrics', '7'), '1795674599999 7 0\n')
    appendFileSync(join(dir, 'metrics', 'loss'), '1795674599999 nan 100000\n')
    await waitFor(async () => {
      const run = await get(runId!)
      return run.data.tags.some((t: any) => t.key === 'stage') && run.data.params.some((p: any) => p.key === 'warmup') &&
        run.data.params.some((p: any) => p.key === '10') && run.data.metrics.some((m: any) => m.key === '7') &&
        run.data.metrics.some((m: any) => m.key === 'loss' && m.value === 'NaN' && m.step === 100000)
    }, 'the changes in runs/get')
    await expectSameBytes(server)
  })

  it('never keeps text read before a change that committed meanwhile', async () => {
    const index = server.index
    const cache = new RunJsonCache(index)
    const [runId] = (await index.runSummaries()).map((r) => r.runId)
    // A read whose snapshot predates the change: the summaries come back stale, after the change committed.
    const read = index.runSummaries.bind(index)
    index.runSummaries = async (q) => {
      const stale = await read(q)
      await index.apply([{ type: 'tags', runId: runId!, values: { race: 'won' } }])
      return stale
    }
    try {
      expect(JSON.parse((await cache.runs([runId!]))[0]!.toString()).data.tags).not.toContainEqual({ key: 'race', value: 'won' })
    } finally {
      index.runSummaries = read
    }
    expect(JSON.parse((await cache.runs([runId!]))[0]!.toString()).data.tags).toContainEqual({ key: 'race', value: 'won' })
  })
})
