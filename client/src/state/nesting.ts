// Nested runs (MLflow's `mlflow.parentRunId` tag) shown under their parent:
// within a page, a child that shares the page with its parent moves right
// below it, keeping the server's order among siblings.
import type { RunRow } from './run-pages.ts'

export function nestUnderParents(rows: RunRow[], parentColumn: string): RunRow[] {
  const here = new Set(rows.map((r) => r.runId))
  const children = new Map<string, RunRow[]>()
  const top: RunRow[] = []
  for (const row of rows) {
    const parent = row.values[parentColumn]
    if (typeof parent === 'string' && parent !== row.runId && here.has(parent)) {
      const list = children.get(parent) ?? []
      list.push(row)
      children.set(parent, list)
    } else top.push(row)
  }
  if (children.size === 0) return rows
  const out: RunRow[] = []
  const place = (row: RunRow, seen: Set<string>) => {
    if (seen.has(row.runId)) return
    seen.add(row.runId)
    out.push(row)
    for (const child of children.get(row.runId) ?? []) place(child, seen)
  }
  const seen = new Set<string>()
  for (const row of top) place(row, seen)
  // A parent loop (a bad tag) leaves runs unplaced: they keep their place at the end.
  for (const row of rows) if (!seen.has(row.runId)) out.push(row)
  return out
}
