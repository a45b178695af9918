// App -- the routes, nested under the Layout as in the app: / Home, /idea2video, /agents.
import { Route, Routes } from "react-router-dom";
import { Layout } from "./components/Layout";
import { AgentMonitor } from "./pages/AgentMonitor";
import { Home } from "./pages/Home";
import { Idea2Video } from "./pages/Idea2Video";

export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route path="/" element={<Home />} />
        <Route path="/idea2video" element={<Idea2Video />} />
        <Route path="/agents" element={<AgentMonitor />} />
        <Route path="*" element={<Home />} />
      </Route>
    </Routes>
  );
}
