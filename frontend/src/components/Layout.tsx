// Layout -- the app's shell: the navigation bar (Home, Idea to Video, Agent Monitor) above the routed page.
import { NavLink, Outlet, useLocation } from "react-router-dom";
import { wsSearchOnly } from "../ws/config";

const LINKS = [
  { to: "/", label: "Home", testId: "nav-home" },
  { to: "/idea2video", label: "Idea to Video", testId: "nav-idea2video" },
  { to: "/agents", label: "Agent Monitor", testId: "nav-agents" },
];

export function Layout() {
  // Links keep the ws_* settings so a reload after navigating still uses them.
  const search = wsSearchOnly(useLocation().search);
  return (
    <div className="app-layout">
      <nav className="app-nav" data-testid="nav">
        <span className="app-brand">ViMax</span>
        {LINKS.map((l) => (
          <NavLink
            key={l.to}
            to={{ pathname: l.to, search }}
            end={l.to === "/"}
            className={({ isActive }) => (isActive ? "nav-link active" : "nav-link")}
            data-testid={l.testId}
          >
            {l.label}
          </NavLink>
        ))}
      </nav>
      <main className="app-main">
        <Outlet />
      </main>
    </div>
  );
}
