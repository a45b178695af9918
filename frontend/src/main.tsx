// main -- entry point: reads the WebSocket settings once from the URL and env, then renders the app inside React.StrictMode as the app does.
import React from "react";
import ReactDOM from "react-dom/client";
import { BrowserRouter } from "react-router-dom";
import { App } from "./App";
import { WsConfigProvider } from "./hooks/WsConfigContext";
import { parseWsConfig } from "./ws/config";
import "./styles.css";

const config = parseWsConfig(window.location.search, import.meta.env.VITE_WS_BACKEND as string | undefined);
for (const w of config.warnings) console.warn(`[wsconfig] ${w}`);

const root = document.getElementById("root");
if (!root) throw new Error("no #root element");
ReactDOM.createRoot(root).render(
  <React.StrictMode>
    <WsConfigProvider config={config}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </WsConfigProvider>
  </React.StrictMode>,
);
