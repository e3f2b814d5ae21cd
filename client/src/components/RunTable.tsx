import { For, Show, createMemo, createSignal, onCleanup } from 'solid-js'
import { createVirtualizer } from '@tanstack/solid-virtual'
import {
  createColumnHelper,
  createSortedRowModel,
  createTable,
  rowSortingFeature,
  sortFns,
  tableFeatures,
  type SortingState,
} from '@tanstack/solid-table'
import type { RunSummary } from '../../../protocol/index.ts'
import { colorFor } from '../colors.ts'
import { formatAgo, formatDuration, formatMetric } from '../format.ts'

const features = tableFeatures({ rowSortingFeature, sortedRowModel: createSortedRowModel(), sortFns })
const helper = createColumnHelper<typeof features, RunSummary>()

const MAX_PARAM_COLUMNS = 4
/** Fixed row height (CSS agrees): the virtualizer positions rows without measuring them. */
const ROW_HEIGHT = 29
const MAX_METRIC_COLUMNS = 4

function numericSortValue(v: RunSummary['metrics'][string] | undefined): number {
  if (!v) return Number.NEGATIVE_INFINITY
  return typeof v.value === 'number' ? v.value : Number.NEGATIVE_INFINITY
}

export function RunTable(props: { runs: RunSummary[]; metricKeys: string[]; paramKeys: string[] }) {
  const [now, setNow] = createSignal(Date.now())
  const clock = setInterval(() => setNow(Date.now()), 1000)
  onCleanup(() => clearInterval(clock))
  const [sorting, setSorting] = createSignal<SortingState>([])

  const columns = createMemo(() => helper.columns([
    helper.accessor('name', {
      header: 'Run',
      cell: (info) => (
        <span class="run-name">
          <i class="swatch" style={{ background: colorFor(info.row.original.runId) }} />
          {info.getValue() || info.row.original.runId.slice(0, 8)}
        </span>
      ),
    }),
    helper.accessor('status', {
      header: 'Status',
      cell: (info) => <span class={`status status-${info.getValue().toLowerCase()}`}>{info.getValue()}</span>,
    }),
    helper.accessor((r) => r.startTime ?? 0, { id: 'start', header: 'Started', cell: (info) => formatAgo(info.row.original.startTime, now()) }),
    helper.accessor((r) => (r.startTime === null ? 0 : (r.endTime ?? now()) - r.startTime), {
      id: 'duration',
      header: 'Duration',
      cell: (info) => formatDuration(info.row.original.startTime === null ? null : (info.row.original.endTime ?? now()) - info.row.original.startTime),
    }),
    ...(props.paramKeys.length === 0 ? [] : [
      helper.group({
        id: 'params',
        header: 'Parameters',
        columns: helper.columns(
          props.paramKeys.slice(0, MAX_PARAM_COLUMNS).map((key) =>
            helper.accessor((r) => r.params[key] ?? '', { id: `params.${key}`, header: key }),
          ),
        ),
      }),
    ]),
    ...(props.metricKeys.length === 0 ? [] : [
      helper.group({
        id: 'metrics',
        header: 'Metrics (latest)',
        columns: helper.columns(
          props.metricKeys.slice(0, MAX_METRIC_COLUMNS).map((key) =>
            helper.accessor((r) => numericSortValue(r.metrics[key]), {
              id: `metrics.${key}`,
              header: key,
              cell: (info) => formatMetric(info.row.original.metrics[key]?.value),
            }),
          ),
        ),
      }),
    ]),
  ]))

  const table = createTable({
    features,
    get columns() {
      return columns()
    },
    get data() {
      return props.runs
    },
    get state() {
      return { sorting: sorting() }
    },
    onSortingChange: setSorting,
  })

  // Only the rows in view (and a few around) exist in the DOM: 10,000 runs scroll like 20.
  let scroller!: HTMLDivElement
  const rows = () => table.getRowModel().rows
  const virtualizer = createVirtualizer({
    get count() {
      return rows().length
    },
    getScrollElement: () => scroller,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => rows()[i]?.id ?? i,
  })
  const items = () => virtualizer.getVirtualItems()
  const padTop = () => items()[0]?.start ?? 0
  const padBottom = () => {
    const last = items().at(-1)
    return last ? virtualizer.getTotalSize() - last.end : 0
  }

  return (
    <div class="table-wrap" ref={scroller} data-testid="run-table-scroller">
      <table class="runs" data-testid="run-table">
        <thead>
          <For each={table.getHeaderGroups()}>
            {(group) => (
              <tr>
                <For each={group.headers}>
                  {(header) => (
                    <th
                      colSpan={header.colSpan}
                      onClick={header.isPlaceholder ? undefined : header.column.getToggleSortingHandler()}
                      classList={{ sortable: !header.isPlaceholder && header.subHeaders.length === 0, group: header.subHeaders.length > 0 }}
                    >
                      {header.isPlaceholder ? null : <table.FlexRender header={header} />}
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
          <For each={items()}>
            {(item) => {
              const row = () => rows()[item.index]
              return (
                <Show when={row()}>
                  {(r) => (
                    <tr data-run-id={r().original.runId}>
                      <For each={r().getAllCells()}>
                        {(cell) => (
                          <td>
                            <table.FlexRender cell={cell} />
                          </td>
                        )}
                      </For>
                    </tr>
                  )}
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
