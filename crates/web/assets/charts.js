// Charts (div.chart[data-kind]): each carries its figures as JSON in a child
// <script type="application/json">, written by the server — {x: [...], axes: [{name, unit,
// max}], series: [{name, unit, axis, data}], empty} — and is drawn with ECharts (embedded,
// SVG). The table beside each chart holds the same figures for those who cannot see it.
(function () {
  const palette = ['#b71c1c', '#1565c0', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#5d4037', '#455a64'];
  const charts = [];
  // Colours that read on the page and on the dark wall display alike.
  function ink(wall) {
    return wall
      ? { text: '#e0e6ee', line: '#3a5573', split: '#1f3a57' }
      : { text: '#333', line: '#999', split: '#e5e5e5' };
  }
  function draw(el) {
    const json = el.querySelector('script[type="application/json"]');
    if (!json || typeof echarts === 'undefined') return;
    const spec = JSON.parse(json.textContent);
    el.dataset.drawn = 'true';
    if (!spec.series || spec.series.length === 0) {
      const p = document.createElement('p');
      p.className = 'muted chart-empty';
      p.textContent = spec.empty || '没有可画的数字';
      el.append(p);
      return;
    }
    const box = document.createElement('div');
    box.className = 'chart-canvas';
    el.append(box);
    const chart = echarts.init(box, null, { renderer: 'svg' });
    const line = el.dataset.kind === 'line';
    const big = el.closest('.wall') !== null;
    const c = ink(big);
    const font = big ? 16 : 12;
    // Counts on the left axis; rates on a percent axis of their own on the right. A chart
    // with one kind of figure has one axis.
    const axes = spec.axes || [{ name: '', unit: spec.unit || '' }];
    const used = [...new Set(spec.series.map((s) => s.axis || 0))].sort();
    const shown = used.map((i) => axes[Math.min(i, axes.length - 1)]);
    const axisOf = (s) => used.indexOf(s.axis || 0);
    chart.setOption({
      color: palette,
      animation: false,
      textStyle: { fontFamily: 'system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif', color: c.text, fontSize: font },
      tooltip: { trigger: 'axis' },
      legend: { type: 'scroll', top: 0, textStyle: { color: c.text, fontSize: font } },
      grid: { left: 8, right: 16, top: big ? 48 : 36, bottom: 8, containLabel: true },
      xAxis: {
        type: 'category', data: spec.x, boundaryGap: !line,
        axisLine: { lineStyle: { color: c.line } },
        axisLabel: line ? { color: c.text, fontSize: font } : { interval: 0, width: 72, overflow: 'break', fontSize: big ? 14 : 11, color: c.text },
      },
      yAxis: shown.map((a) => ({
        type: 'value', name: a.name, max: a.max == null ? null : a.max, min: 0,
        nameTextStyle: { color: c.text, fontSize: font },
        axisLine: { show: true, lineStyle: { color: c.line } },
        splitLine: { lineStyle: { color: c.split } },
        axisLabel: { formatter: '{value}' + (a.unit || ''), color: c.text, fontSize: font },
      })),
      series: spec.series.map((s) => {
        const u = s.unit !== undefined ? s.unit : (spec.unit || '');
        const unit = u === '%' ? '%' : (u ? ' ' + u : '');
        return {
          name: s.name,
          type: line ? 'line' : 'bar',
          data: s.data,
          yAxisIndex: axisOf(s),
          showSymbol: false,
          connectNulls: true,
          tooltip: { valueFormatter: (v) => (v == null ? '—' : v + unit) },
          label: line ? undefined : { show: box.clientWidth > 600, position: 'top', fontSize: big ? 13 : 10, color: c.text, formatter: (p) => p.value + unit },
        };
      }),
    });
    charts.push(chart);
  }
  function drawAll() {
    document.querySelectorAll('.chart[data-kind]:not([data-drawn])').forEach(draw);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', drawAll);
  else drawAll();
  window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
})();
