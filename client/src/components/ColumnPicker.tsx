// Choose the table's param, metric and tag columns, searching over every key
// in use. Metrics offer their latest value and, on request, min and max.
import { For, Show, createMemo, createSignal } from 'solid-js'
import { createPopover } from './popover.ts'
import type { RunKeys } from '../../../protocol/index.ts'
import { columnId } from '../columns.ts'

export function ColumnPicker(props: { keys: RunKeys; chosen: string[]; onChange: (columns: string[]) => void }) {
  const { open, setOpen, ref } = createPopover()
  const [query, setQuery] = createSignal('')

  const chosen = createMemo(() => new Set(props.chosen))
  const toggle = (id: string) => props.onChange(chosen().has(id) ? props.chosen.filter((c) => c !== id) : [...props.chosen, id])
  const matching = (keys: string[]) => {
    const q = query().trim().toLowerCase()
    return q ? keys.filter((k) => k.toLowerCase().includes(q)) : keys
  }
  const option = (id: string, label: string) => (
    <label class="picker-option">
      <input type="checkbox" checked={chosen().has(id)} onChange={() => toggle(id)} data-column-option={id} /> {label}
    </label>
  )

  return (
    <div class="column-picker" ref={ref}>
      <button type="button" data-testid="column-picker" onClick={() => setOpen(!open())} aria-expanded={open()}>
        Columns ({props.chosen.length})
      </button>
      <Show when={open()}>
        <div class="picker-panel" data-testid="column-panel" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          <input ref={(el) => queueMicrotask(() => el.focus())} placeholder="Search keys" value={query()} onInput={(e) => setQuery(e.currentTarget.value)} data-testid="column-search" />
          <div class="picker-lists">
            <section>
              <h4>Metrics</h4>
              <For each={matching(props.keys.metrics)} fallback={<p class="muted">none</p>}>
                {(key) => (
                  <div class="picker-metric">
                    {option(columnId('metric', key), key)}
                    <span class="picker-aggs">
                      {option(columnId('metric', key, 'min'), 'min')}
                      {option(columnId('metric', key, 'max'), 'max')}
                    </span>
                  </div>
                )}
              </For>
            </section>
            <section>
              <h4>Parameters</h4>
              <For each={matching(props.keys.params)} fallback={<p class="muted">none</p>}>{(key) => option(columnId('param', key), key)}</For>
            </section>
            <section>
              <h4>Tags</h4>
              <For each={matching(props.keys.tags)} fallback={<p class="muted">none</p>}>{(key) => option(columnId('tag', key), key)}</For>
            </section>
          </div>
        </div>
      </Show>
    </div>
  )
}
