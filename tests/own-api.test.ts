// runwatch's own API for the UI beyond search and series: the keys in use,
// the run page's details, and a chart that loads by query then continues live
// from the query's cursor without a gap.
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MlflowFileStoreWriter } from '../demo/mlflow-file-writer.ts'
import type { PointsMessage, ServerMessage } from '../protocol/index.ts'
import { copyFixtureFileStore, tempDir } from './helpers/fixtures.ts'
import { serveStore } from './helpers/in-process-server.ts'
import { waitFor } from './helpers/wait.ts'

const TRANSFORMER = '366321049169809600'
let server: Awaited<ReturnType<typeof serveStore>>
let root: string
let cleanup: () => void
let nested: { exp: string; parent: string; children: string[] }

beforeAll(async () => {
  const dir = tempDir()
  cleanup = dir.remove
  root = copyFixtureFileStore('mlflow-3.6', dir.path)
  const w = new MlflowFileStoreWriter(root)
  const exp = w.createExperiment('nested')
  const parent = w.createRun(exp, { name: 'sweep', startTime: 1000 })
  const children = ['trial-a', 'trial-b'].map((name, i) => {
    const id = w.createRun(exp, { name, startTime: 2000 + i, tags: { 'mlflow.parentRunId': parent } })
    w.logMetric(id, 'loss', [{ timestamp: 1, value: 3, step: 0 }, { timestamp: 2, value: 1, step: 1 }, { timestamp: 3, value: 2, step: 2 }])
    return id
  })
  nested = { exp, parent, children }
  server = await serveStore({ kind: 'file', path: root })
})
afterAll(async () => {
  await server?.close()
  cleanup?.()
})

describe('GET /api/keys', () => {
  it('lists the metric, param and tag keys of the chosen experiments, sorted', async () => {
    const res = await server.get(`/api/keys?experimentId=${TRANSFORMER}`)
    expect(res.status).toBe(200)
    expect(res.body.metrics).toEqual(['acc', 'loss'])
    expect(res.body.params).toEqual(['batch_size', 'lr', 'optimizer'])
    expect(res.body.tags).toEqual(expect.arrayContaining(['model', 'seed', 'dataset', 'mlflow.note.content']))
    expect([...res.body.tags].sort()).toEqual(res.body.tags)
    const none = await server.get(`/api/keys?experimentId=${nested.exp}`)
    expect(none.body).toMatchObject({ metrics: ['loss'], params: [] })
    expect(none.body.tags).toContain('mlflow.parentRunId')
    expect(none.body.tags).not.toContain('optimizer')
  })
})

describe('POST /api/runs/query paging', () => {
  it('counts every match while answering one page, sorted by a metric, and pages to the end without overlap', async () => {
    const seen: string[] = []
    for (let offset = 0; offset < 10; offset += 3) {
      const res = await server.post('/api/runs/query', { experimentIds: [TRANSFORMER], orderBy: ['metrics.acc DESC'], columns: ['metrics.acc'], offset, limit: 3 })
      expect(res.status).toBe(200)
      expect(res.body.total).toBe(10)
      seen.push(...res.body.runIds)
      const acc = res.body.columns['metrics.acc'] as number[]
      expect([...acc].sort((a, b) => b - a)).toEqual(acc)
    }
    expect(new Set(seen).size).toBe(10)
    const filtered = await server.post('/api/runs/query', { experimentIds: [TRANSFORMER], filter: "params.optimizer != 'nothing'", orderBy: ['params.lr'], limit: 1 })
    expect(filtered.body).toMatchObject({ total: 10 })
    // Past the last match the page is empty and the count still holds; no match at all counts 0.
    const past = await server.post('/api/runs/query', { experimentIds: [TRANSFORMER], offset: 25, limit: 3 })
    expect(past.body).toMatchObject({ total: 10, runIds: [] })
    const none = await server.post('/api/runs/query', { experimentIds: [TRANSFORMER], filter: "params.optimizer = 'nothing'", limit: 3 })
    expect(none.body).toMatchObject({ total: 0, runIds: [] })
  })

  it('gives each chosen column one value per run of the page, in the page order, null where a run lacks the key', async () => {
    const res = await server.post('/api/runs/query', {
      experimentIds: [nested.exp], orderBy: ['attributes.start_time DESC'],
      columns: ['run_name', 'start_time', 'tags.`mlflow.parentRunId`', 'metrics.loss', 'metrics.min.loss', 'metrics.max.loss', 'params.nothing'],
    })
    expect(res.status).toBe(200)
    expect(res.body.runIds).toEqual([nested.children[1], nested.children[0], nested.parent])
    expect(res.body.columns).toEqual({
      run_name: ['trial-b', 'trial-a', 'sweep'],
      start_time: [2001, 2000, 1000],
      'tags.`mlflow.parentRunId`': [nested.parent, nested.parent, null],
      'metrics.loss': [2, 2, null],
      'metrics.min.loss': [1, 1, null],
      'metrics.max.loss': [3, 3, null],
      'params.nothing': [null, null, null],
    })
  })
})

describe('GET /api/run', () => {
  it('answers a run with per-metric min, max and count, and its parent and children', async () => {
    const parent = await server.get(`/api/run?runId=${nested.parent}`)
    expect(parent.status).toBe(200)
    expect(parent.body.run.name).toBe('sweep')
    expect(parent.body.parent).toBeNull()
    expect(parent.body.children.map((c: { name: string }) => c.name)).toEqual(['trial-a', 'trial-b'])
    const child = await server.get(`/api/run?runId=${nested.children[0]}`)
    expect(child.body.parent).toEqual({ runId: nested.parent, name: 'sweep', status: 'RUNNING' })
    expect(child.body.metricStats.loss).toEqual({ min: 1, max: 3, count: 3 })
    expect(child.body.run.metrics.loss).toMatchObject({ value: 2, step: 2 })
  })

  it('answers 404 for an unknown run and 400 without one', async () => {
    expect((await server.get('/api/run?runId=ffffffffffffffffffffffffffffffff')).body.error.code).toBe('RESOURCE_DOES_NOT_EXIST')
    expect((await server.get('/api/run')).status).toBe(400)
  })
})

describe('a chart loaded by the series query, continued live from its cursor', () => {
  it('gets exactly the points logged after the query', async () => {
    const [runId] = nested.children
    const loaded = await server.post('/api/series', { runIds: [runId], key: 'loss' })
    expect(loaded.body.grid).toEqual([0, 1, 2])
    expect(JSON.parse(loaded.body.cursor)).toEqual({ v: 1, series: [[runId, 'loss', 3]] })

    appendFileSync(join(root, nested.exp, runId!, 'metrics', 'loss'), '4 0.5 3\n')
    const messages: ServerMessage[] = []
    const ws = new WebSocket(server.url.replace('http', 'ws') + '/ws')
    ws.on('message', (data) => messages.push(JSON.parse(String(data)) as ServerMessage))
    await new Promise((resolve) => ws.once('open', resolve))
    ws.send(JSON.stringify({ type: 'subscribe', sub: 'c', metrics: ['loss'], filter: `attributes.run_id = '${runId}'`, cursor: loaded.body.cursor }))
    await waitFor(() => messages.some((m) => m.type === 'synced'), 'synced')
    appendFileSync(join(root, nested.exp, runId!, 'metrics', 'loss'), '5 0.25 4\n')
    await waitFor(() => messages.filter((m) => m.type === 'points').flatMap((m) => (m as PointsMessage).step).includes(4), 'the live point')
    const steps = messages.filter((m): m is PointsMessage => m.type === 'points').flatMap((m) => m.step)
    expect(steps).toEqual([3, 4])
    ws.close()
  })

  it('sends no snapshot to a subscription that asks for none, only what changes', async () => {
    const messages: ServerMessage[] = []
    const ws = new WebSocket(server.url.replace('http', 'ws') + '/ws')
    ws.on('message', (data) => messages.push(JSON.parse(String(data)) as ServerMessage))
    await new Promise((resolve) => ws.once('open', resolve))
    ws.send(JSON.stringify({ type: 'subscribe', sub: 't', experimentIds: [nested.exp], metrics: [], snapshot: false }))
    await waitFor(() => messages.some((m) => m.type === 'synced'), 'synced')
    // No state before synced (a run changed by the previous test may follow it, as a change).
    expect(messages[0]!.type).toBe('synced')
    appendFileSync(join(root, nested.exp, nested.children[1]!, 'metrics', 'loss'), '9 0.1 3\n')
    const upserts = () => messages.flatMap((m) => (m.type === 'runs' ? m.upsert : []))
    await waitFor(() => upserts().some((r) => r.runId === nested.children[1] && r.metrics.loss?.step === 3), 'the changed run')
    // Only runs that changed come: never the experiment's whole list, and no points (metrics: []).
    expect(new Set(upserts().map((r) => r.runId)).has(nested.parent)).toBe(false)
    expect(messages.some((m) => m.type === 'points')).toBe(false)
    ws.send(JSON.stringify({ type: 'subscribe', sub: 'u', snapshot: 'no' }))
    await waitFor(() => messages.some((m) => m.type === 'error'), 'the error')
    expect(messages.find((m) => m.type === 'error')).toMatchObject({ sub: 'u', code: 'BAD_SUBSCRIBE' })
    ws.close()
  })
})
