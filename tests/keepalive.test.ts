import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFixtureFileStore, tempDir } from './helpers/fixtures.ts'
import { serveStore } from './helpers/in-process-server.ts'
import { waitFor } from './helpers/wait.ts'

describe('dead peers on /ws', () => {
  let server: Awaited<ReturnType<typeof serveStore>>
  let cleanup: () => void
  beforeAll(async () => {
    const dir = tempDir()
    cleanup = dir.remove
    server = await serveStore({ kind: 'file', path: copyFixtureFileStore('mlflow-3.6', dir.path) }, { pingIntervalMs: 150 })
  })
  afterAll(async () => {
    await server.close()
    cleanup()
  })

  it('drops a peer that stops answering pings, and keeps one that answers', async () => {
    const url = `${server.url.replace('http', 'ws')}/ws`
    const silent = new WebSocket(url, { autoPong: false })
    const healthy = new WebSocket(url)
    await Promise.all([silent, healthy].map((ws) => new Promise((r) => ws.once('open', r))))
    for (const ws of [silent, healthy]) ws.send(JSON.stringify({ type: 'subscribe', sub: 's', metrics: [] }))
    await waitFor(() => server.hub.clientCount === 2, 'two live clients')
    const closed = new Promise<number>((r) => silent.once('close', (code) => r(code)))
    expect(await closed).toBe(1006)
    await new Promise((r) => setTimeout(r, 350))
    expect(healthy.readyState).toBe(WebSocket.OPEN)
    await waitFor(() => server.hub.clientCount === 1, 'the silent client forgotten')
    healthy.close()
  })

  it('keeps answering peers while the server is busy for several ping intervals', async () => {
    const healthy = new WebSocket(`${server.url.replace('http', 'ws')}/ws`)
    await new Promise((r) => healthy.once('open', r))
    // The pong is already written when 'ping' is emitted; blocking here keeps the
    // server from reading it before its next ping is due, as a bulk load would.
    let blocked = 0
    healthy.on('ping', () => {
      if (blocked++ >= 3) return
      const busyUntil = Date.now() + 250
      while (Date.now() < busyUntil);
    })
    await waitFor(() => blocked >= 4, 'three blocked ping rounds')
    expect(healthy.readyState).toBe(WebSocket.OPEN)
    healthy.close()
  })
})
