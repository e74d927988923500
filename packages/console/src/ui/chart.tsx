import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** A small time-series chart (uPlot) with a text summary for screen readers. */
export function Chart(props: { title: string; data: [number[], ...(number | null)[][]]; series: string[]; unit: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot>();
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const width = Math.max(260, Math.min(560, el.clientWidth || 480));
    const colors = ['#2563eb', '#dc2626', '#16a34a', '#9333ea'];
    plot.current = new uPlot(
      {
        width,
        height: 160,
        series: [{}, ...props.series.map((label, i) => ({ label, stroke: colors[i % colors.length], width: 2, spanGaps: true }))],
        // One point alone would make uPlot span years around it: show the last half hour instead.
        scales: {
          x: {
            time: true,
            range: (_u, min, max) => {
              // No point yet: the last half hour, not 1970.
              if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) {
                const now = Date.now() / 1000;
                return [now - 1800, now];
              }
              return max - min < 60 ? [max - 1800, max + 60] : [min, max];
            },
          },
        },
        axes: [{}, { label: props.unit, size: 56 }],
        legend: { show: true },
      },
      props.data as uPlot.AlignedData,
      el,
    );
    return () => plot.current?.destroy();
  }, [props.series.join(','), props.unit]);
  useEffect(() => {
    plot.current?.setData(props.data as uPlot.AlignedData);
  }, [props.data]);
  const last = props.series.map((s, i) => {
    const ys = props.data[i + 1] ?? [];
    const v = [...ys].reverse().find((y) => y !== null && y !== undefined);
    return `${s}: ${v === undefined || v === null ? 'no data' : `${Math.round(v * 100) / 100} ${props.unit}`}`;
  });
  return (
    <figure class="chart">
      <figcaption>
        {props.title} <span class="muted">({last.join('; ')})</span>
      </figcaption>
      <div ref={ref} aria-hidden="true" />
      {props.data[0].length === 0 ? <p class="muted">No data points yet (metrics arrive every minute).</p> : null}
    </figure>
  );
}
