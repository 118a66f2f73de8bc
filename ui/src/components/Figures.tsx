// A row of labelled figures (requests, errors, percentiles), failing ones marked.

/** One figure: its label, its formatted value and whether it shows a failure. */
export type Figure = [label: string, value: string, failing: boolean];

export function Figures({ figures }: { figures: Figure[] }) {
  return (
    <dl className="service-figures">
      {figures.map(([label, value, failing]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd className={failing ? "failing" : undefined}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
