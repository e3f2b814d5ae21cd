// The run filter: runwatch's filter syntax (MLflow's plus OR, NOT, parentheses…).
// Checked as you type with the same grammar the server uses, so a mistake is
// marked at its column before anything is sent; keys and operators are offered
// from what the index holds.
import { For, Show, createSignal, onCleanup, onMount } from 'solid-js'
import type { RunKeys } from '../../../protocol/index.ts'
import { parseFilter, type FilterAst } from '../../../server/query/filter-grammar.ts'
import { FilterSyntaxError } from '../../../server/query/filter-tokens.ts'
import { applySuggestion, suggestFilter, type Suggestions } from '../state/filter-suggestions.ts'
import { unknownKeys } from '../state/unknown-keys.ts'
import { isTextEntry } from './text-entry.ts'

/**
 * A filter is sent at once, then keystrokes within this window of it are one
 * query, sent at its end: fast typing is not a burst of searches, and a
 * single keystroke waits for nothing.
 */
const INPUT_SETTLE_MS = 30

export interface FilterProblem {
  message: string
  column: number
}

/** The last text checked: the filter bar and the app both check each keystroke's text (a mistake costs an Error's stack). */
let lastChecked: { text: string; problem: FilterProblem | undefined; ast: FilterAst | undefined } | undefined

function check(text: string): NonNullable<typeof lastChecked> {
  if (lastChecked?.text === text) return lastChecked
  let problem: FilterProblem | undefined
  let ast: FilterAst | undefined
  try {
    ast = parseFilter(text, 'runwatch')
  } catch (err) {
    if (!(err instanceof FilterSyntaxError)) throw err
    problem = { message: err.message, column: err.column }
  }
  return (lastChecked = { text, problem, ast })
}

export function checkFilter(text: string): FilterProblem | undefined {
  return check(text).problem
}

/**
 * A mistake is shown once typing pauses this long: `metrics.` on its way to
 * `metrics.loss < 1` is not an error yet, and a box flashing under every
 * keystroke covers the controls below.
 */
const PROBLEM_DELAY_MS = 600

export interface FilterBarProps {
  value: string
  problem: FilterProblem | undefined
  keys: RunKeys
  /** Matching runs, shown next to the field. */
  total: number | undefined
  onInput: (text: string) => void
}

export function FilterBar(props: FilterBarProps) {
  const [text, setText] = createSignal(props.value)
  const [suggestions, setSuggestions] = createSignal<Suggestions>({ from: 0, items: [] })
  const [active, setActive] = createSignal(0)
  let input!: HTMLInputElement
  let timer: ReturnType<typeof setTimeout> | undefined
  const [paused, setPaused] = createSignal(true)
  let pauseTimer: ReturnType<typeof setTimeout> | undefined
  const typed = () => {
    setPaused(false)
    clearTimeout(pauseTimer)
    pauseTimer = setTimeout(() => setPaused(true), PROBLEM_DELAY_MS)
  }
  onCleanup(() => clearTimeout(pauseTimer))
  const problem = () => (paused() ? props.problem : undefined)
  // Keys no run has: only once the keys are known (before, every key would be one).
  const unknown = () => {
    const k = props.keys
    if (!paused() || props.problem || k.metrics.length + k.params.length + k.tags.length === 0) return []
    return unknownKeys(check(text()).ast, k)
  }
  const onKey = (e: KeyboardEvent) => {
    // `/` focuses the filter from anywhere, as in most tools.
    if (e.key === '/' && !isTextEntry(e.target)) {
      e.preventDefault()
      input.focus()
    }
  }
  onMount(() => document.addEventListener('keydown', onKey))
  onCleanup(() => {
    document.removeEventListener('keydown', onKey)
    clearTimeout(timer)
  })

  let sent = props.value
  const send = (value: string) => {
    sent = value
    props.onInput(value)
    // A text with a mistake queries nothing: it opens no window, so the keystroke that completes it is sent at once.
    if (checkFilter(value)) return
    timer = setTimeout(() => {
      timer = undefined
      if (text() !== sent) send(text())
    }, INPUT_SETTLE_MS)
  }
  const commit = (value: string) => {
    setText(value)
    if (timer === undefined) send(value)
  }
  const refreshSuggestions = () => {
    setSuggestions(suggestFilter(input.value, input.selectionStart ?? input.value.length, props.keys))
    setActive(0)
  }
  const accept = (item: string) => {
    const next = applySuggestion(input.value, input.selectionStart ?? input.value.length, suggestions(), item)
    input.value = next.text
    input.setSelectionRange(next.caret, next.caret)
    commit(next.text)
    refreshSuggestions()
  }

  return (
    <div class="filter-bar">
      <div class="filter-field">
        <input
          ref={input}
          data-testid="filter-input"
          spellcheck={false}
          autocomplete="off"
          placeholder="Filter runs: metrics.loss < 0.5 AND params.optimizer = 'adam'   (press / to focus)"
          value={text()}
          classList={{ invalid: !!problem() }}
          onInput={(e) => {
            typed()
            commit(e.currentTarget.value)
            refreshSuggestions()
          }}
          onBlur={() => {
            setPaused(true)
            setTimeout(() => setSuggestions({ from: 0, items: [] }), 150)
          }}
          onKeyDown={(e) => {
            const items = suggestions().items
            if (e.key === 'Escape') {
              if (items.length) setSuggestions({ from: 0, items: [] })
              else input.blur()
              e.stopPropagation()
              return
            }
            if (items.length === 0) return
            if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
              e.preventDefault()
              setActive((active() + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length)
            } else if (e.key === 'Tab' || e.key === 'Enter') {
              e.preventDefault()
              accept(items[active()]!)
            }
          }}
        />
        <span class="filter-total" data-testid="filter-total">
          {props.total === undefined ? '' : `${props.total.toLocaleString('en-US')} ${props.total === 1 ? 'run' : 'runs'}`}
        </span>
        <Show when={suggestions().items.length > 0}>
          <ul class="suggestions" data-testid="filter-suggestions" role="listbox">
            <For each={suggestions().items}>
              {(item, i) => (
                <li classList={{ active: i() === active() }} role="option" onMouseDown={(e) => (e.preventDefault(), accept(item))}>
                  {item}
                </li>
              )}
            </For>
          </ul>
        </Show>
        <Show when={problem()}>
          {(p) => (
            <div class="filter-caret" aria-hidden="true" style={{ 'margin-left': `calc(${p().column - 1}ch + 9px)` }}>
              ^
            </div>
          )}
        </Show>
      </div>
      <Show when={problem()}>
        {(p) => (
          <div class="filter-problem" role="alert" data-testid="filter-problem">
            {p().message}
          </div>
        )}
      </Show>
      <Show when={unknown().length > 0}>
        <div class="filter-problem filter-hint" role="status" data-testid="filter-unknown-keys">
          no run here has {unknown().join(', ')}
        </div>
      </Show>
    </div>
  )
}
