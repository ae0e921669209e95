// Small behaviours of the pages, kept out of the HTML so that the content security policy
// can forbid inline script: print buttons, "back" links, bars drawn to a percentage, and the
// progress of a spreadsheet export.
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

// A spreadsheet export of a long list takes a while before its file starts (a million rows,
// about a minute): the link is fetched here instead, the seconds counted beside it, then the
// bytes received, and the file saved once whole. A refusal (a 4xx with its message in
// Chinese, such as a bad date) is said beside the link instead of being saved as the file.
function exportName(disposition) {
  const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(disposition || '');
  if (utf8) {
    try { return decodeURIComponent(utf8[1]); } catch (e) { /* the plain name below */ }
  }
  const plain = /filename="([^"]+)"/i.exec(disposition || '');
  return plain ? plain[1] : '导出.xlsx';
}
function exportNote(link) {
  const next = link.nextElementSibling;
  if (next && next.classList.contains('export-progress')) return next;
  const note = document.createElement('span');
  note.className = 'export-progress';
  note.setAttribute('role', 'status');
  link.after(note);
  return note;
}
async function refusal(res) {
  try {
    const body = await res.json();
    const e = body && body.error;
    if (e && e.message) {
      const fields = e.fields
        ? Object.values(e.fields).filter((m) => typeof m === 'string' && m !== e.message) : [];
      return fields.length ? `${e.message}：${fields.join('；')}` : e.message;
    }
  } catch (err) { /* not JSON: the status below */ }
  return `导出失败（${res.status}），请稍后重试`;
}
const mb = (n) => (n / 1e6).toFixed(1);
document.addEventListener('click', async (ev) => {
  const link = ev.target instanceof Element ? ev.target.closest('a[download][href*=".xlsx"]') : null;
  if (!link || ev.defaultPrevented || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
  if (!window.fetch || !window.ReadableStream) return;
  ev.preventDefault();
  if (link.dataset.busy) return;
  link.dataset.busy = '1';
  const note = exportNote(link);
  note.classList.remove('error');
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 1000);
  const tick = () => { note.textContent = `正在生成，已用 ${seconds()} 秒……`; };
  tick();
  const timer = setInterval(tick, 1000);
  try {
    const res = await fetch(link.href, { credentials: 'same-origin' });
    clearInterval(timer);
    if (!res.ok) {
      note.textContent = await refusal(res);
      note.classList.add('error');
      return;
    }
    const total = Number(res.headers.get('content-length')) || 0;
    const reader = res.body.getReader();
    const parts = [];
    let got = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      got += value.length;
      note.textContent = `正在下载 ${mb(got)}${total ? ` / ${mb(total)}` : ''} MB……`;
    }
    const url = URL.createObjectURL(new Blob(parts, { type: res.headers.get('content-type') || '' }));
    const save = document.createElement('a');
    save.href = url;
    save.download = exportName(res.headers.get('content-disposition'));
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    note.textContent = `已导出（${mb(got)} MB，用时 ${seconds()} 秒）`;
  } catch (err) {
    clearInterval(timer);
    note.textContent = '导出中断：网络不通或服务器无应答，请稍后重试';
    note.classList.add('error');
  } finally {
    delete link.dataset.busy;
  }
});
