// A panel that opens from a button and closes on a click anywhere outside it,
// or on Esc (which then does nothing else: the selection stays).
import { createSignal, onCleanup, onMount, type Accessor, type Setter } from 'solid-js'

export function createPopover(): { open: Accessor<boolean>; setOpen: Setter<boolean>; ref: (el: HTMLElement) => void } {
  const [open, setOpen] = createSignal(false)
  let root: HTMLElement | undefined
  const close = (e: MouseEvent) => {
    if (open() && root && !root.contains(e.target as Node)) setOpen(false)
  }
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== 'Escape' || !open() || e.defaultPrevented) return
    e.preventDefault()
    setOpen(false)
  }
  onMount(() => {
    document.addEventListener('mousedown', close)
    // Capture: the popover hears Esc before the page's own shortcuts do.
    document.addEventListener('keydown', onKey, true)
  })
  onCleanup(() => {
    document.removeEventListener('mousedown', close)
    document.removeEventListener('keydown', onKey, true)
  })
  return { open, setOpen, ref: (el) => (root = el) }
}
