// One colour per run, the same in the table, every chart panel, the
// comparison and the wall. A run's preferred colour comes from its id, so it
// is the same across reloads; but 16 colours for ten charted runs picked by
// hash repeat more often than not, so the runs shown together are given
// distinct colours (assignColors): each keeps the colour it has while it
// stays shown, a new one takes its preferred colour if free, else the next
// free one. The same runs in the same order get the same colours.
import { createSignal } from 'solid-js'

/** Tableau's ten, then six more far enough from them (three near-yellows and two near-blues were hard to tell apart). */
const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7',
  '#9c755f', '#17becf', '#8cd17d', '#6b6ecf', '#d37295', '#79706e', '#bcbd22', '#a0cbe8',
]

function preferredSlot(runId: string): number {
  let h = 2166136261
  for (let i = 0; i < runId.length; i++) h = Math.imul(h ^ runId.charCodeAt(i), 16777619)
  return (h >>> 0) % PALETTE.length
}

/** Palette slots of the runs shown together (and of runs shown before, until they collide). */
const [slots, setSlots] = createSignal<ReadonlyMap<string, number>>(new Map())

export function colorFor(runId: string): string {
  return PALETTE[slots().get(runId) ?? preferredSlot(runId)]!
}

/**
 * Distinct slots for `shown` (in their order), keeping the ones they hold:
 * pure, so that the rule is tested without a page.
 */
export function distinctSlots(shown: readonly string[], before: ReadonlyMap<string, number>, preferred: (runId: string) => number = preferredSlot, size = PALETTE.length): Map<string, number> {
  const out = new Map(before)
  const taken = new Set<number>()
  const unplaced: string[] = []
  for (const id of shown) {
    const held = before.get(id)
    if (held !== undefined && !taken.has(held)) taken.add(held)
    else unplaced.push(id)
  }
  for (const id of unplaced) {
    const first = preferred(id)
    let slot = first
    // More runs than colours: the rest keep their preferred one.
    for (let k = 0; k < size && taken.has(slot); k++) slot = (first + k + 1) % size
    if (taken.size < size) taken.add(slot)
    else slot = first
    out.set(id, slot)
  }
  return out
}

/** Gives the runs shown together distinct colours (every view that reads colorFor follows). */
export function assignColors(shown: readonly string[]): void {
  const next = distinctSlots(shown, slots())
  const before = slots()
  if (next.size !== before.size || [...next].some(([id, s]) => before.get(id) !== s)) setSlots(next)
}
