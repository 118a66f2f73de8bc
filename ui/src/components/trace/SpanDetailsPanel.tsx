// The details of the selected span: status, timing, ids, attributes by scope (span, resource,
// instrumentation scope), events, links to other traces and the span's own log lines.
import { Link } from "react-router-dom";

import { type Attribute, type SpanDetails, spanDetails, traceLogs } from "../../api/trace";
import { useLoad } from "../../useLoad";
import { ErrorBox, Loading } from "../Status";
import { formatNanos } from "./format";

function Attributes({ title, list }: { title: string; list: Attribute[] }) {
  return (
    <section className="attribute-group">
      <h3>
        {title} <span className="count">({list.length})</span>
      </h3>
      {list.length === 0 ? (
        <p className="none">None</p>
      ) : (
        <dl>
          {list.map((a) => (
            <div key={a.key}>
              <dt>{a.key}</dt>
              <dd title={a.type}>{a.value}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

/** The panel's body once the span is loaded. */
export function SpanDetailsView(props: { span: SpanDetails; traceStart: bigint }) {
  const { span } = props;
  const offset = Number(BigInt(span.startTimeUnixNano) - props.traceStart);
  const scopeTitle = span.scope.name
    ? `Scope ${span.scope.name}${span.scope.version ? ` ${span.scope.version}` : ""}`
    : "Scope";
  return (
    <>
      <h2>{span.name}</h2>
      <dl className="span-facts">
        <div>
          <dt>Status</dt>
          <dd className={`status ${span.status.code}`}>
            {span.status.code}
            {span.status.message && `: ${span.status.message}`}
          </dd>
        </div>
        <div>
          <dt>Kind</dt>
          <dd>{span.kind}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatNanos(Number(span.durationNanos))}</dd>
        </div>
        <div>
          <dt>Starts at</dt>
          <dd>
            +{formatNanos(offset)} (
            {new Date(Number(BigInt(span.startTimeUnixNano) / 1_000_000n)).toLocaleString()})
          </dd>
        </div>
        <div>
          <dt>Span ID</dt>
          <dd>
            <code>{span.spanID}</code>
          </dd>
        </div>
        {span.parentSpanID && (
          <div>
            <dt>Parent</dt>
            <dd>
              <Link to={`?span=${span.parentSpanID}`}>
                <code>{span.parentSpanID}</code>
              </Link>
            </dd>
          </div>
        )}
      </dl>
      <Attributes title="Span attributes" list={span.attributes} />
      <Attributes title="Resource attributes" list={span.resource.attributes} />
      <Attributes title={scopeTitle} list={span.scope.attributes} />
      <section className="attribute-group">
        <h3>
          Events <span className="count">({span.events.length})</span>
        </h3>
        {span.events.length === 0 && <p className="none">None</p>}
        {span.events.map((event, i) => (
          <details key={i} open={span.events.length <= 3}>
            <summary>
              +{formatNanos(Number(event.offsetNanos))} {event.name}
            </summary>
            <dl>
              {event.attributes.map((a) => (
                <div key={a.key}>
                  <dt>{a.key}</dt>
                  <dd>{a.value}</dd>
                </div>
              ))}
            </dl>
          </details>
        ))}
      </section>
      <section className="attribute-group">
        <h3>
          Links <span className="count">({span.links.length})</span>
        </h3>
        {span.links.length === 0 && <p className="none">None</p>}
        <ul>
          {span.links.map((link) => (
            <li key={`${link.traceID}-${link.spanID}`}>
              <Link to={`/trace/${link.traceID}?span=${link.spanID}`}>
                <code>
                  {link.traceID}/{link.spanID}
                </code>
              </Link>
              {link.attributes.map((a) => (
                <span key={a.key} className="link-attribute">
                  {" "}
                  {a.key}={a.value}
                </span>
              ))}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

function SpanLogs(props: { traceId: string; spanId: string }) {
  const logs = useLoad(`${props.traceId}|${props.spanId}`, () =>
    traceLogs(props.traceId, props.spanId, 100),
  );
  return (
    <section className="attribute-group">
      <h3>Logs of this span</h3>
      {logs.state === "loading" && <Loading />}
      {logs.state === "error" && <ErrorBox error={logs.error} />}
      {logs.state === "done" && logs.value.length === 0 && <p className="none">None</p>}
      {logs.state === "done" && (
        <ul className="span-logs">
          {logs.value.map((line, i) => (
            <li key={i} className={`level-${line.level}`}>
              <span className={`level ${line.level}`}>{line.level}</span> {line.line}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function SpanDetailsPanel(props: {
  traceId: string;
  spanId: string;
  traceStart: bigint;
  onClose: () => void;
}) {
  const details = useLoad(`${props.traceId}|${props.spanId}`, () =>
    spanDetails(props.traceId, props.spanId),
  );
  return (
    <aside className="span-details" aria-label="Span details">
      <button type="button" className="close" onClick={props.onClose} aria-label="Close details">
        ×
      </button>
      {details.state === "loading" && <Loading />}
      {details.state === "error" && <ErrorBox error={details.error} />}
      {details.state === "done" && (
        <SpanDetailsView span={details.value} traceStart={props.traceStart} />
      )}
      <SpanLogs traceId={props.traceId} spanId={props.spanId} />
    </aside>
  );
}
