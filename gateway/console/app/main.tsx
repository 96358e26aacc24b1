import { render } from 'preact';
import { ConsoleShell } from './console-shell.js';
import './console.css';

render(<ConsoleShell />, document.getElementById('root')!);
