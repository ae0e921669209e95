// Small behaviours of the pages, kept out of the HTML so that the content security policy
// can forbid inline script: print buttons, "back" links, and bars drawn to a percentage.
document.addEventListener('click', (ev) => {
  const el = ev.target instanceof Element ? ev.target.closest('[data-print], [data-back]') : null;
  if (!el) return;
  if (el.hasAttribute('data-print')) { ev.preventDefault(); window.print(); }
  else if (el.hasAttribute('data-back') && history.length > 1) { ev.preventDefault(); history.back(); }
});
function drawBars(root) {
  root.querySelectorAll('[data-pct]').forEach((el) => {
    const pct = Math.max(0, Math.min(100, Number(el.dataset.pct) || 0));
    el.style.width = pct + '%';
  });
}
document.addEventListener('DOMContentLoaded', () => drawBars(document));
document.addEventListener('htmx:afterSwap', (ev) => drawBars(ev.target));
