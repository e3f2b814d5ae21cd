// The run table: rows read page by page from the server (sorted there), only
// the rows in view in the DOM. TanStack Table v9 owns the columns, headers and
// sorting state; the server owns the order.
import { For, Index, Show, createEffect, createMemo, createSignal, on, onCleanup, untrack } from 'solid-js'
import { createVirtualizer } from '@tanstack/solid-virtual'
import { createColumnHelper, createTable, rowSortingFeature, tableFeatures, type SortingState } from '@tanstack/solid-table'
import { colorFor } from '../colors.ts'
import { PARENT_COLUMN, type ColumnSpec } from '../columns.ts'
import { formatAgo, formatDuration, formatMetric } from '../format.ts'
import { HealthBadge } from './HealthBadge.tsx'
import type { RunPages, RunRow } from '../state/run-pages.ts'
import type { SortTerm } from '../state/view-state.ts'

const features = tableFeatures({ rowSortingFeature })
const helper = createColumnHelper<typeof features, RunRow>()

/** Fixed row height (CSS agrees): the virtualizer positions rows without measuring them. */
const ROW_HEIGHT = 29
const OVERSCAN = 12

export interface RunTableProps {
  pages: RunPages
  /** Changes whenever the pages do. */
  version: number
  /** Changes when the table shows other runs (filter, sort, experiments), not when only columns change. */
  runsKey: string
  columns: ColumnSpec[]
  sort: SortTerm[]
  onSort: (sort: SortTerm[]) => void
  selected: ReadonlySet<string>
  /** The runs the charts draw: their swatch shows their curve's colour; the others' is hollow. */
  charted: ReadonlySet<string>
  onToggle: (runId: string) => void
  onOpen: (runId: string) => void
}

type TableRow = ReturnType<ReturnType<typeof createTable<typeof features, RunRow>>['getRowModel']>['rows'][number]

/** The same run, values and columns: nothing of the row to draw again. */
function sameRow(a: TableRow, b: TableRow): boolean {
  if (a.original !== b.original) return false
  const [x, y] = [a.getAllCells(), b.getAllCells()]
  return x.length === y.length && x.every((c, i) => c.column === y[i]!.column)
}

const text = (v: unknown) => (v === null || v === undefined ? '' : String(v))
const num = (v: unknown) => (typeof v === 'number' ? v : null)

export function RunTable(props: RunTableProps) {
  const [now, setNow] = createSignal(Date.now())
  const clock = setInterval(() => setNow(Date.now()), 1000)
  onCleanup(() => clearInterval(clock))

  // The columns as TanStack sees them (headers, sorting); their cells are drawn by BodyCell.
  const columns = createMemo(() =>
    helper.columns([
      helper.display({ id: 'select', header: '', enableSorting: false }),
      helper.accessor((r) => text(r.values.run_name), { id: 'run_name', header: 'Run' }),
      helper.accessor((r) => text(r.values.status), { id: 'status', header: 'Status' }),
      helper.accessor((r) => num(r.values.start_time), { id: 'start_time', header: 'Started' }),
      helper.display({ id: 'duration', header: 'Duration', enableSorting: false }),
      helper.accessor((r) => text(r.values.user_id), { id: 'user_id', header: 'User' }),
      ...props.columns.map((c) =>
        helper.accessor((r) => r.values[c.id] ?? null, {
          id: c.id,
          header: () => (
            <span class={`col-${c.kind}`} title={c.id}>
              {c.label}
            </span>
          ),
        }),
      ),
    ]),
  )
  const metricColumns = createMemo(() => new Set(props.columns.filter((c) => c.kind === 'metric').map((c) => c.id)))

  /**
   * One body cell. Its elements are made once for the column at its place and
   * follow the run shown there: a keystroke's new rows change texts and
   * attributes instead of building every cell's elements again (most of the
   * script and style work of painting a filter's rows).
   */
  const BodyCell = (cellProps: { column: string; run: () => RunRow }) => {
    const run = cellProps.run
    const value = (key: string) => run().values[key]
    const charted = () => props.charted.has(run().runId)
    switch (cellProps.column) {
      case 'select':
        return (
          <input
            type="checkbox"
            aria-label="select run"
            data-testid="select-run"
            checked={props.selected.has(run().runId)}
            onClick={(e) => e.stopPropagation()}
            onChange={() => props.onToggle(run().runId)}
          />
        )
      case 'run_name':
        return (
          <span class="run-name" classList={{ nested: !!value(PARENT_COLUMN) }}>
            <i class="swatch" classList={{ hollow: !charted() }} style={{ background: charted() ? colorFor(run().runId) : undefined }} />
            <a
              href={`/runs/${run().runId}`}
              data-testid="run-link"
              onClick={(e) => {
                if (e.metaKey || e.ctrlKey || e.shiftKey) return
                e.preventDefault()
                e.stopPropagation()
                props.onOpen(run().runId)
              }}
            >
              {text(value('run_name')) || run().runId.slice(0, 8)}
            </a>
          </span>
        )
      case 'status':
        return (
          <>
            <span class={`status status-${text(value('status')).toLowerCase()}`}>{text(value('status'))}</span>
            <HealthBadge health={value('health')} />
          </>
        )
      // The texts follow the clock.
      case 'start_time':
        return <>{formatAgo(num(value('start_time')), now())}</>
      case 'duration':
        return (
          <>
            {(() => {
              const [start, end] = [value('start_time'), value('end_time')]
              return typeof start === 'number' ? formatDuration((typeof end === 'number' ? end : now()) - start) : ''
            })()}
          </>
        )
      default: {
        const metric = untrack(metricColumns).has(cellProps.column)
        return <>{metric ? formatMetric((value(cellProps.column) ?? undefined) as never) : text(value(cellProps.column))}</>
      }
    }
  }

  const sorting = (): SortingState => props.sort.map((s) => ({ id: s.column, desc: s.desc }))

  // Only the rows in view exist; the table model covers just those.
  let scroller!: HTMLDivElement
  const virtualizer = createVirtualizer({
    get count() {
      props.version
      return props.pages.total ?? 0
    },
    getScrollElement: () => scroller,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
  })
  // Other runs (a new filter, sort or experiment) are shown from the first row: RunPages reads them from there.
  // (The virtualizer's offset is known from scroll events: reading the element's would lay the page out mid-keystroke.)
  createEffect(on(() => props.runsKey, () => (virtualizer.scrollOffset ?? 0) > 0 && scroller.scrollTo({ top: 0 }), { defer: true }))
  const items = () => virtualizer.getVirtualItems()
  const indexes = createMemo(() => items().map((item) => item.index))
  createEffect(() => {
    const list = indexes()
    void props.pages.ensure(list[0] ?? 0, (list.at(-1) ?? 0) + 1)
  })

  const table = createTable({
    features,
    get columns() {
      return columns()
    },
    // Every row held (the pages near the view): scrolling within them does not rebuild the model.
    get data() {
      props.version
      return props.pages.heldRows()
    },
    getRowId: (row) => row.runId,
    manualSorting: true,
    get state() {
      return { sorting: sorting() }
    },
    onSortingChange: (updater) => {
      const next = typeof updater === 'function' ? updater(sorting()) : updater
      props.onSort(next.map((s) => ({ column: s.id, desc: s.desc })))
    },
  })

  const rowsById = createMemo(() => {
    const map = new Map<string, TableRow>()
    for (const r of table.getRowModel().rows) map.set(r.id, r)
    return map
  })
  const shownFilter = () => {
    props.version
    return props.pages.shownQuery?.filter ?? ''
  }
  const padTop = () => items()[0]?.start ?? 0
  const padBottom = () => {
    const last = items().at(-1)
    return last ? virtualizer.getTotalSize() - last.end : 0
  }

  return (
    <div class="table-wrap" ref={scroller} data-testid="run-table-scroller">
      {/* The filter the rows shown answer (the one before stays shown until a new one's rows come). */}
      <table class="runs" data-testid="run-table" data-filter={shownFilter()}>
        <thead>
          <For each={table.getHeaderGroups()}>
            {(group) => (
              <tr>
                <For each={group.headers}>
                  {(header) => (
                    <th
                      colSpan={header.colSpan}
                      data-column={header.column.id}
                      onClick={header.column.getCanSort() ? header.column.getToggleSortingHandler() : undefined}
                      classList={{ sortable: header.column.getCanSort(), pinned: header.column.id === 'run_name', select: header.column.id === 'select' }}
                    >
                      <table.FlexRender header={header} />
                      {{ asc: ' ▲', desc: ' ▼' }[header.column.getIsSorted() as string] ?? ''}
                    </th>
                  )}
                </For>
              </tr>
            )}
          </For>
        </thead>
        <tbody>
          <Show when={padTop() > 0}>
            <tr class="spacer" style={{ height: `${padTop()}px` }} />
          </Show>
          <For each={indexes()}>
            {(index) => {
              const row = () => {
                props.version
                const held = props.pages.row(index)
                return held ? rowsById().get(held.runId) : undefined
              }
              return (
                <Show when={row()} fallback={<tr class="loading-row"><td colSpan={columns().length}>…</td></tr>}>
                  {(latest) => {
                    // Any page read rebuilds the row model, with new objects for every row: the row is
                    // drawn again only when its run or values change (a live patch gives a new RunRow).
                    const r = createMemo(latest, undefined, { equals: sameRow })
                    return (
                    <tr
                      data-run-id={r().original.runId}
                      classList={{ selected: props.selected.has(r().original.runId) }}
                      onClick={() => props.onToggle(r().original.runId)}
                    >
                      {/* By position: a live update gives new cell objects, which must not rebuild the row's DOM. */}
                      <Index each={r().getAllCells()}>
                        {(cell) => {
                          const column = createMemo(() => cell().column.id)
                          return (
                            <td classList={{ pinned: column() === 'run_name', select: column() === 'select' }}>
                              {/* Not <FlexRender>: its switch and shows per cell were most of a row's cost to build. */}
                              <Show when={column()} keyed>
                                {(id) => <BodyCell column={id} run={() => cell().row.original} />}
                              </Show>
                            </td>
                          )
                        }}
                      </Index>
                    </tr>
                    )
                  }}
                </Show>
              )
            }}
          </For>
          <Show when={padBottom() > 0}>
            <tr class="spacer" style={{ height: `${padBottom()}px` }} />
          </Show>
        </tbody>
      </table>
    </div>
  )
}
