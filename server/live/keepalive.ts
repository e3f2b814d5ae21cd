// Dead peers on /ws: a wall display's network can vanish without a close
// frame. Every interval each socket is pinged; one that has not answered the
// previous ping is terminated, which frees its subscriptions.
import type { WebSocket, WebSocketServer } from 'ws'

export function keepAlive(wss: WebSocketServer, intervalMs: number): () => void {
  const alive = new WeakMap<WebSocket, boolean>()
  const track = (ws: WebSocket) => {
    alive.set(ws, true)
    ws.on('pong', () => alive.set(ws, true))
  }
  wss.on('connection', track)
  const timer = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) track(ws)
      if (alive.get(ws) === false) {
        ws.terminate()
        continue
      }
      alive.set(ws, false)
      ws.ping()
    }
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
