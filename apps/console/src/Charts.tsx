/*
 * Two small SVG charts (lines over time, grouped bars) drawn by the page itself: the console needs nothing more, and
 * a chart library would triple the bundle. Each chart is an image with a label saying what it shows; the figures it
 * draws are in a table or list beside it.
 */

import type { ReactNode } from 'react';

const COLOURS = ['#1e3a8a', '#b45309', '#047857', '#9d174d', '#4338ca', '#0e7490', '#7c2d12', '#4d7c0f', '#6b21a8', '#374151'];
const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 48, right: 12, top: 12, bottom: 40 };

export const colourOf = (i: number) => COLOURS[i % COLOURS.length];

/** A round upper bound for the y axis: 1, 2 or 5 times a power of ten. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((step) => step * power >= value) ?? 10) * power;
}

const format = (value: number) => new Intl.NumberFormat(undefined, { maximumFractionDigits: value < 10 ? 2 : 0 }).format(value);

/** The y position of `value` on an axis from `min` to `max`. */
const scale = (min: number, max: number) => (value: number) => PAD.top + (HEIGHT - PAD.top - PAD.bottom) * (1 - (value - min) / (max - min));

function Frame({ label, min = 0, max, labels, children }: { label: string; min?: number; max: number; labels: string[]; children: ReactNode }) {
  const y = scale(min, max);
  const every = Math.max(1, Math.ceil(labels.length / 8));
  const step = (WIDTH - PAD.left - PAD.right) / Math.max(1, labels.length);
  return (
    <svg className="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label}>
      {[...new Set([min, min < 0 ? 0 : (min + max) / 2, max])].map((tick) => (
        <g key={tick}>
          <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} stroke={tick === 0 ? '#6b7280' : '#d1d5db'} />
          <text x={PAD.left - 6} y={y(tick) + 4} textAnchor="end" fontSize="11" fill="#374151">
            {format(tick)}
          </text>
        </g>
      ))}
      {labels.map((text, i) =>
        i % every === 0 ? (
          <text key={i} x={PAD.left + step * (i + 0.5)} y={HEIGHT - PAD.bottom + 16} textAnchor="middle" fontSize="11" fill="#374151">
            {text}
          </text>
        ) : null,
      )}
      {children}
    </svg>
  );
}

function Legend({ names }: { names: string[] }) {
  return (
    <ul className="legend" aria-hidden="true">
      {names.map((name, i) => (
        <li key={name}>
          <span className="swatch" style={{ background: colourOf(i) }} />
          {name}
        </li>
      ))}
    </ul>
  );
}

/** One line per series over the same points (labels), e.g. segment sizes after each evaluation. */
export function LineChart({ label, labels, series }: { label: string; labels: string[]; series: { name: string; values: (number | null)[] }[] }) {
  const known = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = niceMax(Math.max(0, ...known));
  // Below zero (an NPS can be), the axis goes as far down as up.
  const min = Math.min(0, ...known) < 0 ? -Math.max(max, niceMax(-Math.min(...known))) : 0;
  const step = (WIDTH - PAD.left - PAD.right) / Math.max(1, labels.length);
  const x = (i: number) => PAD.left + step * (i + 0.5);
  const y = scale(min, min < 0 ? Math.max(max, -min) : max);
  return (
    <figure className="figure">
      <Frame label={label} min={min} max={min < 0 ? Math.max(max, -min) : max} labels={labels}>
        {series.map((s, i) => (
          <g key={s.name} stroke={colourOf(i)} fill={colourOf(i)}>
            <polyline
              fill="none"
              strokeWidth="2"
              points={s.values
                .map((v, j) => (v === null ? null : `${x(j)},${y(v)}`))
                .filter(Boolean)
                .join(' ')}
            />
            {s.values.map((v, j) => (v === null ? null : <circle key={j} cx={x(j)} cy={y(v)} r="3" />))}
          </g>
        ))}
      </Frame>
      <Legend names={series.map((s) => s.name)} />
    </figure>
  );
}

/** Bars per label, one per series side by side, e.g. predicted and actual trips per group, or one series for a histogram. */
export function BarChart({ label, labels, series }: { label: string; labels: string[]; series: { name: string; values: number[] }[] }) {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const step = (WIDTH - PAD.left - PAD.right) / Math.max(1, labels.length);
  const width = (step * 0.8) / Math.max(1, series.length);
  const y = scale(0, max);
  return (
    <figure className="figure">
      <Frame label={label} max={max} labels={labels}>
        {series.map((s, i) =>
          s.values.map((v, j) => (
            <rect key={`${i}-${j}`} x={PAD.left + step * j + step * 0.1 + width * i} y={y(v)} width={width} height={Math.max(0, y(0) - y(v))} fill={colourOf(i)} />
          )),
        )}
      </Frame>
      {series.length > 1 && <Legend names={series.map((s) => s.name)} />}
    </figure>
  );
}
