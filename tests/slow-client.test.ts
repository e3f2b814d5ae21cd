// A client that stops reading must not hold up others nor grow the server's
// memory without bound — and, once it reads again, it still gets every point.
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LiveConnection, type WebSocketLike } from '../client/src/live/connection.ts'
import { MlflowFileStoreWriter, metricLines } from '../demo/mlflow-file-writer.ts'
import type { ServerMessage } from '../protocol/index.ts'
import { tempDir } from './helpers/fixtures.ts'
import { serveStore } from './helpers/in-process-server.ts'
import type { MetricBatch } from '../ingest-watch/events.ts'
import { RunIndex } from '../server/index/run-index.ts'
import { LiveHub } from '../server/live/hub.ts'
import { SerialQueue } from '../server/serial-queue.ts'
import { waitFor } from './helpers/wait.ts'

const LIMIT = 512 * 1024

describe('a client that stops reading', () => {
  let server: Awaited<ReturnType<typeof serveStore>>
  let cleanup: () => void
  let writer: MlflowFileStoreWriter
  let run: string
  let exp: string
  beforeAll(async () => {
    const dir = tempDir()
    cleanup = dir.remove
    writer = new MlflowFileStoreWriter(join(dir.path, 'mlruns'))
    exp = writer.createExperiment('flood')
    run = writer.createRun(exp, { name: 'r' })
    writer.logMetric(run, 'loss', [{ timestamp: 0, value: 0, step: 0 }])
    server = await serveStore({ kind: 'file', path: join(dir.path, 'mlruns') }, { maxClientBufferBytes: LIMIT })
  })
  afterAll(async () => {
    await server.close()
    cleanup()
  })

  it('is told to resync instead of being queued for without limit; a reading client gets every point meanwhile', { timeout: 60_000 }, async () => {
    const url = `${server.url.replace('http', 'ws')}/ws`
    const steps = new Map<string, number[]>([['stalled', []], ['reader', []]])
    const messages: ServerMessage[] = []
    let stalledSocket: WebSocket | undefined
    const connect = (name: string) =>
      new LiveConnection({
        url,
        createSocket: (u) => {
          const ws = new WebSocket(u)
          if (name === 'stalled') stalledSocket = ws
          return ws as unknown as WebSocketLike
        },
        onMessage: (m) => {
          if (name === 'stalled') messages.push(m)
          if (m.type === 'points') steps.get(name)!.push(...m.step)
        },
      })
    const stalled = connect('stalled')
    const reader = connect('reader')
    for (const c of [stalled, reader]) c.subscribe({ sub: 's', experimentIds: [exp], metrics: ['loss'] })
    await waitFor(() => steps.get('stalled')!.length === 1 && steps.get('reader')!.length === 1, 'both subscribed')
    // Stop reading: the kernel buffers fill, then the server's send buffer for this socket.
    const socket = (stalledSocket as unknown as { _socket: { pause(): void; resume(): void } })._socket
    socket.pause()
    const file = writer.metricPath(run, 'loss')
    const total = 200_000
    for (let from = 1; from <= total; from += 20_000) {
      appendFileSync(file, metricLines(Array.from({ length: 20_000 }, (_, i) => ({ timestamp: from + i, value: Math.PI * (from + i), step: from + i }))))
      await new Promise((r) => setTimeout(r, 20))
    }
    await waitFor(() => steps.get('reader')!.length === total + 1, 'every point at the reading client', 30_000)
    expect(server.hub.clientCount).toBe(2)
    socket.resume()
    await waitFor(() => steps.get('stalled')!.length >= total + 1, 'the stalled client caught up', 30_000)
    // Whether it was told to resync depends on how much the kernel's socket buffers took in: the
    // bound itself is checked with a socket that never drains, below.
    expect(messages.filter((m) => m.type === 'synced').length).toBeLessThanOrEqual(2)
    const got = steps.get('stalled')!
    expect(new Set(got).size).toBe(got.length)
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: total + 1 }, (_, i) => i))
    stalled.close()
    reader.close()
  })
})

describe('the bound on what the server queues for a client', () => {
  it('never queues more than the limit plus one frame, then sends resync and nothing more', async () => {
    const index = await RunIndex.open()
    const limit = 4096
    const hub = new LiveHub(index, new SerialQueue(), () => {}, limit)
    const batch = (from: number, n: number): MetricBatch => ({
      runId: 'r', key: 'loss',
      step: Float64Array.from({ length: n }, (_, i) => from + i),
      timestamp: Float64Array.from({ length: n }, (_, i) => from + i),
      value: Float64Array.from({ length: n }, (_, i) => Math.PI * (from + i)),
    })
    await index.apply([{ type: 'run', run: { runId: 'r', experimentId: '1', name: 'r', status: 'RUNNING', startTime: 0, endTime: null, lifecycleStage: 'active', userId: 'u', artifactUri: '' } }])
    // A socket that never drains: everything sent stays queued.
    const sent: string[] = []
    let queued = 0
    const client = hub.connect({ send: (t) => (sent.push(t.toString()), (queued += t.length)), get bufferedAmount() { return queued }, close: () => {} })
    client.receive(JSON.stringify({ type: 'subscribe', sub: 's', metrics: ['loss'] }))
    hub.indexed()
    await waitFor(() => sent.some((t) => t.includes('"synced"')), 'the subscription')
    const afterSnapshot = queued
    let largest = 0
    for (let from = 0; from < 2000; from += 100) {
      const changes = await index.apply([{ type: 'metrics', batch: batch(from, 100) }])
      await hub.publish({ upsert: [], remove: [], batches: changes.batches })
      largest = Math.max(largest, ...sent.slice(-1).map((t) => t.length))
    }
    const frames = sent.map((t) => JSON.parse(t) as ServerMessage)
    expect(frames.filter((f) => f.type === 'resync')).toEqual([{ type: 'resync', sub: 's' }])
    // After the resync nothing more is queued for it.
    expect(frames.at(-1)).toEqual({ type: 'resync', sub: 's' })
    const resyncFrame = sent.at(-1)!.length
    expect(queued - afterSnapshot - resyncFrame).toBeLessThanOrEqual(limit + largest)
    await index.close()
  })
})
