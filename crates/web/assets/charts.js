// Charts (div.chart[data-kind]): each carries its figures as JSON in a child
// <script type="application/json">, written by the server — {x: [...], series: [{name, data}],
// unit} — and is drawn with ECharts (embedded, SVG). The table beside each chart holds the
// same figures for those who cannot see it.
(function () {
  const palette = ['#b71c1c', '#1565c0', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#5d4037', '#455a64'];
  const charts = [];
  function draw(el) {
    const json = el.querySelector('script[type="application/json"]');
    if (!json || typeof echarts === 'undefined') return;
    const spec = JSON.parse(json.textContent);
    const box = document.createElement('div');
    box.className = 'chart-canvas';
    el.append(box);
    const chart = echarts.init(box, null, { renderer: 'svg' });
    const unit = spec.unit || '';
    const line = el.dataset.kind === 'line';
    chart.setOption({
      color: palette,
      animation: false,
      textStyle: { fontFamily: 'system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif' },
      tooltip: { trigger: 'axis', valueFormatter: (v) => (v == null ? '—' : v + unit) },
      legend: { type: 'scroll', top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: spec.x, boundaryGap: !line, axisLabel: line ? {} : { interval: 0, width: 72, overflow: 'break', fontSize: 11 } },
      yAxis: { type: 'value', max: spec.max == null ? null : spec.max, axisLabel: { formatter: '{value}' + unit } },
      series: spec.series.map((s) => ({
        name: s.name,
        type: line ? 'line' : 'bar',
        data: s.data,
        showSymbol: false,
        connectNulls: true,
        label: line ? undefined : { show: box.clientWidth > 600, position: 'top', fontSize: 10, formatter: (p) => p.value + unit },
      })),
    });
    el.dataset.drawn = 'true';
    charts.push(chart);
  }
  function drawAll() {
    document.querySelectorAll('.chart[data-kind]:not([data-drawn])').forEach(draw);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', drawAll);
  else drawAll();
  window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
})();
