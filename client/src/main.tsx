import { render } from 'solid-js/web'
import { App } from './App.tsx'
import { WallView } from './wall/WallView.tsx'
import './styles.css'

render(() => (location.pathname.startsWith('/wall') ? <WallView /> : <App />), document.getElementById('root')!)
