// Dead peers on /ws: a wall display's network can vanish without a close
// frame. Every interval each socket is pinged; one that has answered none of
// the last two pings is terminated, which frees its subscriptions.
//
// A busy server (a bulk load, a long query, a starved CPU) must not be taken
// for a dead peer: timers run before the event loop reads sockets, so a pong
// that arrived while the loop was blocked is still unread when the late timer
// fires. The verdict is therefore taken in setImmediate (after pending socket
// reads), a tick that came late by more than an interval judges nobody, and
// one missed pong is forgiven.
import type { WebSocket, WebSocketServer } from 'ws'

const MISSES_ALLOWED = 1

export function keepAlive(wss: WebSocketServer, intervalMs: number): () => void {
  const missed = new WeakMap<WebSocket, number>()
  const track = (ws: WebSocket) => {
    missed.set(ws, 0)
    ws.on('pong', () => missed.set(ws, 0))
  }
  wss.on('connection', track)
  let lastTick = performance.now()
  const tick = () => {
    const now = performance.now()
    const loopWasBlocked = now - lastTick > 2 * intervalMs
    lastTick = now
    for (const ws of wss.clients) {
      if (!missed.has(ws)) track(ws)
      if (loopWasBlocked) continue
      const misses = missed.get(ws)!
      if (misses > MISSES_ALLOWED) {
        ws.terminate()
        continue
      }
      missed.set(ws, misses + 1)
      ws.ping()
    }
  }
  const timer = setInterval(() => setImmediate(tick), intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
