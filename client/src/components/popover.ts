// A panel that opens from a button and closes on a click anywhere outside it.
import { createSignal, onCleanup, onMount, type Accessor, type Setter } from 'solid-js'

export function createPopover(): { open: Accessor<boolean>; setOpen: Setter<boolean>; ref: (el: HTMLElement) => void } {
  const [open, setOpen] = createSignal(false)
  let root: HTMLElement | undefined
  const close = (e: MouseEvent) => {
    if (open() && root && !root.contains(e.target as Node)) setOpen(false)
  }
  onMount(() => document.addEventListener('mousedown', close))
  onCleanup(() => document.removeEventListener('mousedown', close))
  return { open, setOpen, ref: (el) => (root = el) }
}
