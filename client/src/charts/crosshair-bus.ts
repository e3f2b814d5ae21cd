// Panels share one crosshair: hovering x in one panel shows x in the others.
export type CrosshairListener = (x: number | undefined, source: object) => void

export class CrosshairBus {
  private readonly listeners = new Set<CrosshairListener>()

  listen(fn: CrosshairListener): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  move(x: number | undefined, source: object): void {
    for (const fn of this.listeners) fn(x, source)
  }
}
