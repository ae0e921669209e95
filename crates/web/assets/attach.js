// Uploads a ticket's attachment from the form marked data-attach, with the session's CSRF token.
document.addEventListener('submit', async (ev) => {
  const form = ev.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.attach) return;
  ev.preventDefault();
  const out = form.querySelector('.attach-result');
  const file = form.querySelector('input[type=file]').files[0];
  if (!file) { out.textContent = '请选择文件'; return; }
  out.textContent = '正在上传……';
  try {
    const resp = await fetch(form.dataset.attach + '?name=' + encodeURIComponent(file.name), {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/octet-stream', 'X-CSRF-Token': form.dataset.csrf }, body: file });
    const body = await resp.json().catch(() => null);
    if (resp.ok) { location.reload(); }
    else { out.className = 'attach-result error'; out.textContent = body && body.error ? body.error.message : ('上传失败（' + resp.status + '）'); }
  } catch (e) { out.className = 'attach-result error'; out.textContent = '网络错误，未能上传，请重试'; }
});
