// One colour per run, the same in the table and every chart panel, stable
// across reloads (derived from the run id, not from list order).
const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7',
  '#9c755f', '#3b8bd4', '#d4a03b', '#8cd17d', '#b6992d', '#499894', '#d37295', '#79706e',
]

export function colorFor(runId: string): string {
  let h = 2166136261
  for (let i = 0; i < runId.length; i++) h = Math.imul(h ^ runId.charCodeAt(i), 16777619)
  return PALETTE[(h >>> 0) % PALETTE.length]!
}
