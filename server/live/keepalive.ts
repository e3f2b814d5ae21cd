// Dead peers on /ws: a wall display's network can vanish without a close
// frame. Every interval each socket is pinged; one that has not answered the
// previous ping is terminated, which frees its subscriptions.
//
// A busy server (a bulk load, a long query) must not be mistaken for a dead
// peer: timers run before the event loop reads sockets, so a pong that arrived
// while the loop was blocked is still unread when the late timer fires. The
// verdict is therefore taken in setImmediate (after pending socket reads), and
// a tick that came late by more than an interval judges nobody.
import type { WebSocket, WebSocketServer } from 'ws'

export function keepAlive(wss: WebSocketServer, intervalMs: number): () => void {
  const alive = new WeakMap<WebSocket, boolean>()
  const track = (ws: WebSocket) => {
    alive.set(ws, true)
    ws.on('pong', () => alive.set(ws, true))
  }
  wss.on('connection', track)
  let lastTick = performance.now()
  const tick = () => {
    const now = performance.now()
    const loopWasBlocked = now - lastTick > 2 * intervalMs
    lastTick = now
    for (const ws of wss.clients) {
      if (!alive.has(ws)) track(ws)
      if (alive.get(ws) === false && !loopWasBlocked) {
        ws.terminate()
        continue
      }
      alive.set(ws, false)
      ws.ping()
    }
  }
  const timer = setInterval(() => setImmediate(tick), intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
