// STALLED / DIVERGED, as the server judges a run (docs/stopping-rules.md); nothing when healthy.
import { Show } from 'solid-js'

export function HealthBadge(props: { health: unknown }) {
  return (
    <Show when={props.health === 'stalled' || props.health === 'diverged'}>
      <a class={`health health-${String(props.health)}`} data-testid="health-badge" href="/docs/stopping-rules.md" target="_blank" title="How run health is judged">
        {String(props.health)}
      </a>
    </Show>
  )
}
