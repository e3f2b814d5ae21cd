// A client that stops reading must not hold up others, nor grow the server's memory without bound.
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MlflowFileStoreWriter, metricLines } from '../demo/mlflow-file-writer.ts'
import type { ServerMessage } from '../protocol/index.ts'
import { tempDir } from './helpers/fixtures.ts'
import { serveStore } from './helpers/in-process-server.ts'
import { waitFor } from './helpers/wait.ts'

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
    server = await serveStore({ kind: 'file', path: join(dir.path, 'mlruns') }, { maxClientBufferBytes: 512 * 1024 })
  })
  afterAll(async () => {
    await server.close()
    cleanup()
  })

  it('is dropped with 1013 while a reading client gets every point', { timeout: 60_000 }, async () => {
    const url = `${server.url.replace('http', 'ws')}/ws`
    const stalled = new WebSocket(url)
    const reader = new WebSocket(url)
    await Promise.all([stalled, reader].map((ws) => new Promise((r) => ws.once('open', r))))
    let received = 0
    let synced = 0
    for (const ws of [stalled, reader]) {
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString()) as ServerMessage
        if (m.type === 'synced') synced++
        if (ws === reader && m.type === 'points') received += m.step.length
      })
      ws.send(JSON.stringify({ type: 'subscribe', sub: 's', experimentIds: [exp], metrics: ['loss'] }))
    }
    await waitFor(() => synced === 2, 'both subscribed')
    received = 0
    // Stop reading: the kernel buffers fill, then the server's send buffer for this socket.
    ;(stalled as unknown as { _socket: { pause(): void } })._socket.pause()
    const closed = new Promise<number>((r) => stalled.once('close', (code) => r(code)))
    const file = writer.metricPath(run, 'loss')
    const total = 200_000
    for (let from = 1; from <= total; from += 20_000) {
      appendFileSync(file, metricLines(Array.from({ length: 20_000 }, (_, i) => ({ timestamp: from + i, value: Math.PI * (from + i), step: from + i }))))
      await new Promise((r) => setTimeout(r, 20))
    }
    await waitFor(() => received === total, 'every point at the reading client', 20_000).catch((e) => { throw new Error(`${e.message}: ${received}, stalled state ${stalled.readyState}`) })
    ;(stalled as unknown as { _socket: { resume(): void } })._socket.resume()
    expect(await closed).toBe(1013)
    expect(server.hub.clientCount).toBe(1)
    reader.close()
  })
})
