// Home -- the landing page: what the replica is, links to the WebSocket pages, and the settings in force.
import { Link, useLocation } from "react-router-dom";
import { useWsConfig } from "../hooks/WsConfigContext";
import { wsSearchOnly } from "../ws/config";

export function Home() {
  const config = useWsConfig();
  const search = wsSearchOnly(useLocation().search);
  const p = config.policy;
  return (
    <div className="home-page">
      <h1>ViMax - AI Video Generation</h1>
      <p>A replica of the app's WebSocket pages, for running against wsmock or a real backend.</p>
      <ul className="home-links">
        <li>
          <Link to={{ pathname: "/idea2video", search }}>Idea to Video</Link>: workflow progress over <code>/ws/workflow/&#123;id&#125;</code>
        </li>
        <li>
          <Link to={{ pathname: "/agents", search }}>Agent Monitor</Link>: coordinator metrics and agents over <code>/ws/coordinator</code>
        </li>
      </ul>
      <table className="ws-config glass-card" data-testid="ws-config">
        <tbody>
          <tr>
            <th>hook</th>
            <td data-testid="ws-config-mode">{config.mode}</td>
          </tr>
          <tr>
            <th>backoff</th>
            <td data-testid="ws-config-policy">
              initial {p.initialMs} ms, factor {p.factor}, cap {p.capMs} ms, max {Number.isFinite(p.maxAttempts) ? p.maxAttempts : "∞"} attempts, jitter{" "}
              {p.jitter}
            </td>
          </tr>
          <tr>
            <th>heartbeat</th>
            <td>{config.heartbeatMs} ms</td>
          </tr>
          <tr>
            <th>send queue</th>
            <td>{config.queueLimit} messages</td>
          </tr>
          <tr>
            <th>connect timeout</th>
            <td>{config.connectTimeoutMs} ms</td>
          </tr>
          <tr>
            <th>backend</th>
            <td data-testid="ws-config-backend">{config.backendOrigin ?? "same origin"}</td>
          </tr>
        </tbody>
      </table>
      {config.warnings.length > 0 && (
        <ul className="ws-config-warnings" data-testid="ws-config-warnings">
          {config.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
