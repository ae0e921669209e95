// The dashboard on a wall display (大屏): one section at a time, filling the screen, each in
// turn every 15 seconds; the page is fetched again every 5 minutes for fresh figures.
// Without this script every section is shown, one under another.
(function () {
  const board = document.querySelector('.dashboard.wall');
  if (!board) return;
  const sections = [...board.querySelectorAll(':scope > section.card')];
  if (sections.length === 0) return;
  const SHOW_SECONDS = 15;
  const RELOAD_MINUTES = 5;
  const status = document.createElement('p');
  status.className = 'wall-status';
  status.setAttribute('aria-live', 'off');
  board.insertBefore(status, sections[0]);
  board.classList.add('rotating');
  let current = 0;
  function show(i) {
    sections.forEach((s, k) => s.classList.toggle('current', k === i));
    const title = sections[i].querySelector('h2');
    status.textContent = `第 ${i + 1} / ${sections.length} 屏${title ? ' · ' + title.textContent : ''} · 每 ${SHOW_SECONDS} 秒换屏`;
    // Charts drawn while hidden have no size: let them fit now.
    window.dispatchEvent(new Event('resize'));
  }
  show(0);
  setInterval(() => {
    current = (current + 1) % sections.length;
    show(current);
  }, SHOW_SECONDS * 1000);
  setTimeout(() => window.location.reload(), RELOAD_MINUTES * 60 * 1000);
})();
