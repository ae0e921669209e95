// Spreadsheet import forms (form[data-import]): sends the chosen .xlsx file to the form's
// API route with the page's CSRF token, then shows what came back — how many rows were
// written, or every row's problem (nothing is written then).
document.addEventListener('submit', async (ev) => {
  const form = ev.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.import) return;
  ev.preventDefault();
  const out = form.querySelector('.import-result');
  const show = (cls, text, lines) => {
    out.replaceChildren();
    const p = document.createElement('p');
    p.className = cls;
    p.setAttribute('role', cls === 'error' ? 'alert' : 'status');
    p.textContent = text;
    out.append(p);
    if (lines && lines.length) {
      const ul = document.createElement('ul');
      ul.className = 'small';
      for (const line of lines) {
        const li = document.createElement('li');
        li.textContent = line;
        ul.append(li);
      }
      out.append(ul);
    }
  };
  const file = form.querySelector('input[type=file]').files[0];
  if (!file) {
    show('error', '请选择要导入的 .xlsx 文件');
    return;
  }
  const button = form.querySelector('button');
  button.disabled = true;
  show('muted', '正在导入……');
  try {
    const resp = await fetch(form.dataset.import, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'X-CSRF-Token': form.dataset.csrf,
      },
      body: file,
    });
    const body = await resp.json().catch(() => null);
    if (resp.ok && body) {
      const warnings = (body.warnings || []).map((w) => `第 ${w.row} 行 ${w.column}：${w.message}`);
      let text = `导入成功：写入 ${body.imported} 条`;
      if (body.corrected) text += `，其中更正 ${body.corrected} 条（原版本保留）`;
      if (warnings.length) text += `；以下 ${warnings.length} 行已照常写入，请核对`;
      show('notice', text, warnings);
    } else if (body && body.error) {
      const fields = Object.entries(body.error.fields || {}).map(([k, v]) => `${k}：${v}`);
      show('error', body.error.message, fields);
    } else {
      show('error', `导入失败（${resp.status}），请稍后重试`);
    }
  } catch (e) {
    show('error', '网络错误，未能提交文件，请重试');
  } finally {
    button.disabled = false;
  }
});
