import { raw } from '../html.js';

export const STYLES = raw(`
:root { color-scheme: light; --accent: #3b5bdb; --muted: #5c6370; --line: #dde1e7; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: #1f2329; background: #f4f5f8; }
header { display: flex; align-items: center; gap: 1rem; padding: .75rem 1.5rem;
  background: #fff; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 600; margin-right: auto; }
header .brand small { color: var(--muted); font-weight: 400; }
main { max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 1.25rem 1.5rem; margin-bottom: 1.25rem; }
h1, h2 { margin: 0 0 .5rem; font-size: 1.25rem; }
p { margin: .5rem 0; }
.hint { color: var(--muted); font-size: .875rem; }
.flash { padding: .75rem 1rem; border-radius: 6px; margin-bottom: 1.25rem;
  background: #e6f4ea; border: 1px solid #a8d5b5; color: #1e5631; }
.flash.error { background: #fdecea; border-color: #f5b5ae; color: #8a1c12; }
ul.notes { padding-left: 1.25rem; }
form.inline { display: flex; gap: .5rem; margin: .75rem 0 0; }
input[type=text] { flex: 1; padding: .5rem .625rem; font: inherit;
  border: 1px solid var(--line); border-radius: 6px; }
button, a.button { padding: .5rem .9rem; font: inherit; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--accent); background: var(--accent); color: #fff; text-decoration: none; }
button.secondary { background: #fff; color: var(--accent); }
output { margin-left: .75rem; }
table.sessions { width: 100%; border-collapse: collapse; margin: .5rem 0 1rem; }
table.sessions th, table.sessions td { text-align: left; vertical-align: top; padding: .5rem .25rem;
  border-bottom: 1px solid var(--line); }
table.sessions small { word-break: break-all; }
table.sessions th:not(:first-child), table.sessions td:not(:first-child) { white-space: nowrap; }
.badge { margin-left: .5rem; padding: .1em .5em; font-size: .75rem; border-radius: 999px;
  background: #e7ecff; color: var(--accent); }
code { font-size: .875em; background: #f0f1f4; padding: .1em .3em; border-radius: 4px; }
`);
