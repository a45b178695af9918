// WsConfigContext -- provides the WebSocket settings read once at start-up (query string + Vite env) to every page.
import { createContext, ReactNode, useContext } from "react";
import { parseWsConfig, WsConfig } from "../ws/config";

const WsConfigContext = createContext<WsConfig>(parseWsConfig(""));

export function WsConfigProvider({ config, children }: { config: WsConfig; children: ReactNode }) {
  return <WsConfigContext.Provider value={config}>{children}</WsConfigContext.Provider>;
}

export function useWsConfig(): WsConfig {
  return useContext(WsConfigContext);
}
