// Several experiments at once: a dropdown of checkboxes, newest activity first.
import { For, Show, createMemo } from 'solid-js'
import { createPopover } from './popover.ts'
import type { ExperimentSummary } from '../../../protocol/index.ts'

export function ExperimentPicker(props: { experiments: ExperimentSummary[]; chosen: string[]; onChange: (ids: string[]) => void; onOpen: () => void }) {
  const { open, setOpen, ref } = createPopover()
  const chosen = createMemo(() => new Set(props.chosen))
  const label = () => {
    const names = props.experiments.filter((e) => chosen().has(e.experimentId)).map((e) => e.name)
    return names.length === 0 ? 'Choose an experiment' : names.length === 1 ? names[0]! : `${names[0]} +${names.length - 1}`
  }
  return (
    <div class="experiment-picker" ref={ref}>
      <button type="button" data-testid="experiment-picker" aria-expanded={open()} onClick={() => (setOpen(!open()), open() && props.onOpen())}>
        {label()} ▾
      </button>
      <Show when={open()}>
        <div class="picker-panel" data-testid="experiment-panel">
          <For each={props.experiments}>
            {(e) => (
              <div class="experiment-option">
                <label>
                  <input
                    type="checkbox"
                    checked={chosen().has(e.experimentId)}
                    data-experiment={e.experimentId}
                    onChange={() => props.onChange(chosen().has(e.experimentId) ? props.chosen.filter((id) => id !== e.experimentId) : [...props.chosen, e.experimentId])}
                  />{' '}
                  {e.name}
                </label>
                <span class="muted">
                  {e.runCount} runs{e.runningCount ? ` · ${e.runningCount} running` : ''}
                </span>
                <button type="button" class="linkish" title="Show only this experiment" onClick={() => (props.onChange([e.experimentId]), setOpen(false))}>
                  only
                </button>
              </div>
            )}
          </For>
        </div>
      </Show>
    </div>
  )
}
