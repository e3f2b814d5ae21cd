// The run filter: runwatch's filter syntax (MLflow's plus OR, NOT, parentheses…).
// Checked as you type with the same grammar the server uses, so a mistake is
// marked at its column before anything is sent.
import { Show, createSignal, onCleanup, onMount } from 'solid-js'
import { parseFilter } from '../../../server/query/filter-grammar.ts'
import { FilterSyntaxError } from '../../../server/query/filter-tokens.ts'

export interface FilterProblem {
  message: string
  column: number
}

export function checkFilter(text: string): FilterProblem | undefined {
  try {
    parseFilter(text, 'runwatch')
    return undefined
  } catch (err) {
    if (err instanceof FilterSyntaxError) return { message: err.message, column: err.column }
    throw err
  }
}

export function FilterBar(props: { value: string; problem: FilterProblem | undefined; onInput: (text: string) => void }) {
  const [text, setText] = createSignal(props.value)
  let input!: HTMLInputElement
  let timer: ReturnType<typeof setTimeout> | undefined
  const onKey = (e: KeyboardEvent) => {
    // `/` focuses the filter from anywhere, as in most tools.
    if (e.key === '/' && document.activeElement !== input) {
      e.preventDefault()
      input.focus()
    }
  }
  onMount(() => document.addEventListener('keydown', onKey))
  onCleanup(() => {
    document.removeEventListener('keydown', onKey)
    clearTimeout(timer)
  })
  return (
    <div class="filter-bar">
      <div class="filter-field">
        <input
          ref={input}
          data-testid="filter-input"
          spellcheck={false}
          placeholder="Filter runs: metrics.loss < 0.5 AND params.optimizer = 'adam'   (press / to focus)"
          value={text()}
          classList={{ invalid: !!props.problem }}
          onInput={(e) => {
            setText(e.currentTarget.value)
            clearTimeout(timer)
            timer = setTimeout(() => props.onInput(text()), 150)
          }}
        />
        <Show when={props.problem}>
          {(p) => (
            <div class="filter-caret" aria-hidden="true" style={{ 'margin-left': `calc(${p().column - 1}ch + 9px)` }}>
              ^
            </div>
          )}
        </Show>
      </div>
      <Show when={props.problem}>
        {(p) => (
          <div class="filter-problem" role="alert" data-testid="filter-problem">
            {p().message}
          </div>
        )}
      </Show>
    </div>
  )
}
