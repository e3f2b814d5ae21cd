// Early-stopping signals and run health through a real server: POST /api/signals,
// /api/runs/query's health column, and a live subscription with `signals`.
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LiveConnection, type WebSocketLike } from '../client/src/live/connection.ts'
import { MlflowFileStoreWriter, metricLines } from '../demo/mlflow-file-writer.ts'
import type { RunsMessage, ServerMessage, SignalsMessage } from '../protocol/index.ts'
import { tempDir } from './helpers/fixtures.ts'
import { serveStore } from './helpers/in-process-server.ts'
import { waitFor } from './helpers/wait.ts'

const points = (values: number[], from = 0) => values.map((value, i) => ({ timestamp: 1000 + from + i, value, step: from + i }))

describe('signals and health over HTTP and the WebSocket', () => {
  let server: Awaited<ReturnType<typeof serveStore>>
  let cleanup: () => void
  let writer: MlflowFileStoreWriter
  let exp: string
  const ids: Record<string, string> = {}
  beforeAll(async () => {
    const dir = tempDir()
    cleanup = dir.remove
    writer = new MlflowFileStoreWriter(join(dir.path, 'mlruns'))
    exp = writer.createExperiment('sweep')
    // Completed runs' medians per step: 4, 3, 2.
    for (const [name, values] of [['c1', [4, 3, 2]], ['c2', [6, 5, 4]], ['c3', [2, 2, 2]]] as const) {
      ids[name] = writer.createRun(exp, { name, startTime: 0 })
      writer.logMetric(ids[name]!, 'loss', points([...values]))
      writer.endRun(ids[name]!, 'FINISHED', 5000)
    }
    ids.r = writer.createRun(exp, { name: 'r', startTime: 0 })
    writer.logMetric(ids.r!, 'loss', points([3.5]))
    // The test's clock: r's only point was at 1000 ms, so at 61,001 ms it has been silent past the 60 s floor.
    server = await serveStore({ kind: 'file', path: join(dir.path, 'mlruns') }, { now: () => 61_001 })
  })
  afterAll(async () => {
    await server.close()
    cleanup()
  })

  it('POST /api/signals answers columnar verdicts and the band', async () => {
    const res = await server.post('/api/signals', { experimentIds: [exp], key: 'loss', direction: 'minimize', rule: 'median', nStartupTrials: 3 })
    expect(res.status).toBe(200)
    const order = [ids.c1, ids.c2, ids.c3, ids.r].map((id) => res.body.runs.runId.indexOf(id))
    const column = (name: string) => order.map((i) => res.body.runs[name][i])
    expect(Object.keys(res.body).sort()).toEqual(['band', 'completed', 'direction', 'key', 'parameters', 'rule', 'runs'])
    expect(res.body).toMatchObject({ key: 'loss', direction: 'minimize', rule: 'median', completed: 3, parameters: { nStartupTrials: 3, nWarmupSteps: 0, intervalSteps: 1, nMinTrials: 1 } })
    expect(column('status')).toEqual(['FINISHED', 'FINISHED', 'FINISHED', 'RUNNING'])
    expect(column('wouldStopAt')).toEqual([null, 0, null, null])
    expect(column('candidate')).toEqual([false, false, false, false])
    expect(column('lastStep')).toEqual([2, 2, 2, 0])
    expect(column('best')).toEqual([2, 4, 2, 3.5])
    expect(res.body.band).toEqual({ step: [0, 1, 2], value: [4, 3, 2], count: [3, 3, 3] })
    const asha = await server.post('/api/signals', { experimentIds: [exp], filter: "attributes.status = 'FINISHED'", key: 'loss', direction: 'maximize', rule: 'asha', gracePeriod: 1, reductionFactor: 2, maxT: 2 })
    expect(asha.status).toBe(200)
    expect(asha.body.runs.runId).toHaveLength(3)
    expect(Object.keys(asha.body.rungs).sort()).toEqual(['inTop', 'runId', 'rung', 'step', 'stop', 'value'])
    expect(asha.body.rungs.rung).toEqual([1, 1, 1, 2, 2, 2])
    // Maximizing: the top half at rung 1 ({3, 5, 2}) is what is at least the median 3.
    expect(asha.body.band).toEqual({ step: [1, 2], value: [3, 2], count: [3, 3] })
    expect(asha.body.rungs.value.slice(0, 3).sort()).toEqual([2, 3, 5])
  })

  it.each([
    [{ key: 'loss', direction: 'minimize', rule: 'median' }, 'INVALID_PARAMETER_VALUE', 'experimentIds must be a list of strings'],
    [{ experimentIds: ['1'], direction: 'minimize', rule: 'median' }, 'INVALID_PARAMETER_VALUE', 'key (the metric) must be a non-empty string'],
    [{ experimentIds: ['1'], key: 'loss', direction: 'minimize', rule: 'asha', eta: 3 }, 'INVALID_PARAMETER_VALUE', "unknown parameter 'eta' for rule 'asha'; expected gracePeriod, reductionFactor, maxT"],
    [{ experimentIds: ['1'], key: 'loss', direction: 'minimize', rule: 'median', filter: 'metrics.loss <' }, 'INVALID_FILTER', "expected a number after '<' but found the end of the filter at column 15"],
    ['[1]', 'MALFORMED_REQUEST', 'the request body is not a JSON object'],
  ])('POST /api/signals answers 400 to %j', async (body, code, message) => {
    const res = await server.post('/api/signals', body)
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({ code, message })
  })

  it('/api/runs, /api/runs/query and filters see health with the server clock', async () => {
    const runs = (await server.get(`/api/runs?experimentId=${exp}`)).body.runs as { runId: string; health: string }[]
    expect(Object.fromEntries(runs.map((r) => [r.runId, r.health]))).toEqual({ [ids.c1!]: 'ok', [ids.c2!]: 'ok', [ids.c3!]: 'ok', [ids.r!]: 'stalled' })
    const page = await server.post('/api/runs/query', { experimentIds: [exp], filter: "attributes.health = 'stalled'", columns: ['run_name', 'health'] })
    expect(page.body).toMatchObject({ total: 1, runIds: [ids.r], columns: { run_name: ['r'], health: ['stalled'] } })
    const mlflow = await server.post('/api/2.0/mlflow/runs/search', { experiment_ids: [exp], filter: "attributes.health = 'stalled'" })
    expect(mlflow.status).toBe(400)
    expect(mlflow.body.message).toMatch(/unknown attribute 'health'/)
  })

  it('a subscription with signals gets stop on its runs and the band, and follows new points', async () => {
    const messages: ServerMessage[] = []
    const conn = new LiveConnection({
      url: `${server.url.replace('http', 'ws')}/ws`,
      onMessage: (m) => messages.push(m),
      createSocket: (u) => new WebSocket(u) as unknown as WebSocketLike,
    })
    try {
      conn.subscribe({ sub: 'bad', experimentIds: [exp], signals: { key: 'loss', direction: 'up', rule: 'median' } as never })
      conn.subscribe({ sub: 's', experimentIds: [exp], metrics: [], signals: { key: 'loss', direction: 'minimize', rule: 'median', nStartupTrials: 3 } })
      await waitFor(() => messages.some((m) => m.type === 'synced' && m.sub === 's'), 'the snapshot')
      expect(messages.find((m) => m.type === 'error')).toMatchObject({ sub: 'bad', code: 'BAD_SUBSCRIBE', message: "signals: direction must be 'minimize' or 'maximize'" })
      const snapshot = messages.find((m): m is RunsMessage => m.type === 'runs' && m.sub === 's')!
      const stops = Object.fromEntries(snapshot.upsert.map((r) => [r.runId, r.stop]))
      expect(stops).toEqual({
        [ids.c1!]: { wouldStopAt: null, candidate: false },
        [ids.c2!]: { wouldStopAt: 0, candidate: false },
        [ids.c3!]: { wouldStopAt: null, candidate: false },
        [ids.r!]: { wouldStopAt: null, candidate: false },
      })
      const band = messages.find((m): m is SignalsMessage => m.type === 'signals')!
      expect(band).toEqual({ type: 'signals', sub: 's', key: 'loss', direction: 'minimize', rule: 'median', band: { step: [0, 1, 2], value: [4, 3, 2], count: [3, 3, 3] } })

      // r's best stays 3.5 at step 1, above the median 3: it would stop there, and is a candidate now.
      appendFileSync(writer.metricPath(ids.r!, 'loss'), metricLines(points([3.6], 1)))
      const stopped = await waitFor(
        () => messages.flatMap((m) => (m.type === 'runs' && m.sub === 's' ? m.upsert : [])).find((r) => r.runId === ids.r && r.stop?.candidate),
        'r as a candidate to stop',
      )
      expect(stopped.stop).toEqual({ wouldStopAt: 1, candidate: true })
      expect(stopped.metrics.loss).toMatchObject({ step: 1, value: 3.6 })
    } finally {
      conn.close()
    }
  })
})
