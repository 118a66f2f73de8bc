// Alerts: every rule group with its rules' state and health, and the active alerts.
import { listRules, type RuleGroup } from "../api";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { useLoad } from "../useLoad";

export function RuleGroups({ groups }: { groups: RuleGroup[] }) {
  if (groups.length === 0) {
    return (
      <Empty>
        No alerting rules: start Sightline with <code>--rules FILE</code> or POST a group to{" "}
        <code>/api/v1/rules/&#123;namespace&#125;</code>.
      </Empty>
    );
  }
  return (
    <>
      {groups.map((group) => (
        <article key={`${group.file}/${group.name}`} className="group">
          <h2>
            {group.name} <small>{group.file} · every {group.interval}s</small>
          </h2>
          <table className="list">
            <thead>
              <tr>
                <th>Rule</th>
                <th>State</th>
                <th>Health</th>
                <th>Last evaluation</th>
                <th>Active alerts</th>
              </tr>
            </thead>
            <tbody>
              {group.rules.map((rule) => (
                <tr key={rule.name}>
                  <td>
                    <strong>{rule.name}</strong>
                    <code className="expr">{rule.query}</code>
                  </td>
                  <td>
                    <span className={`badge ${rule.state}`}>{rule.state}</span>
                  </td>
                  <td title={rule.lastError ?? ""}>
                    {rule.health}
                    {rule.lastError ? `: ${rule.lastError}` : ""}
                  </td>
                  <td>
                    {rule.lastEvaluation.startsWith("0001")
                      ? "not yet"
                      : new Date(rule.lastEvaluation).toLocaleTimeString()}
                  </td>
                  <td>
                    {(rule.alerts ?? []).map((alert) => (
                      <div key={JSON.stringify(alert.labels)}>
                        <span className={`badge ${alert.state}`}>{alert.state}</span>{" "}
                        {Object.entries(alert.labels)
                          .filter(([name]) => name !== "alertname")
                          .map(([name, value]) => `${name}=${value}`)
                          .join(", ")}
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </article>
      ))}
    </>
  );
}

export function AlertsPage() {
  const result = useLoad("rules", listRules);
  return (
    <section>
      <h1>Alerts</h1>
      {result.state === "loading" && <Loading />}
      {result.state === "error" && <ErrorBox error={result.error} />}
      {result.state === "done" && <RuleGroups groups={result.value} />}
    </section>
  );
}
