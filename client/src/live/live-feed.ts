// One socket, many subscribers: each part of the page (table, chart panels)
// subscribes with its own `sub` and hears only its frames.
import type { ServerMessage, SubscribeMessage } from '../../../protocol/index.ts'
import { LiveConnection, type ConnectionStatus } from './connection.ts'

export interface LiveHandler {
  onMessage: (msg: ServerMessage) => void
  /** See LiveConnectionOptions.onSubscribing. */
  onSubscribing?: (resuming: boolean) => void
}

export class LiveFeed {
  private readonly handlers = new Map<string, LiveHandler>()
  readonly connection: LiveConnection

  constructor(url: string, onStatus: (status: ConnectionStatus) => void) {
    this.connection = new LiveConnection({
      url,
      onStatus,
      onMessage: (msg) => {
        const sub = msg.sub
        if (sub === undefined) for (const h of this.handlers.values()) h.onMessage(msg)
        else this.handlers.get(sub)?.onMessage(msg)
      },
      onSubscribing: (sub, resuming) => this.handlers.get(sub)?.onSubscribing?.(resuming),
    })
  }

  subscribe(request: Omit<SubscribeMessage, 'type'>, handler: LiveHandler): void {
    this.handlers.set(request.sub, handler)
    this.connection.subscribe(request)
  }

  unsubscribe(sub: string): void {
    if (!this.handlers.delete(sub)) return
    this.connection.unsubscribe(sub)
  }

  close(): void {
    this.handlers.clear()
    this.connection.close()
  }
}

/** A filter naming exactly these runs. */
export function runIdFilter(runIds: string[]): string {
  return `attributes.run_id IN (${runIds.map((id) => `'${id.replace(/'/g, "''")}'`).join(', ') || "''"})`
}
