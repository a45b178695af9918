// Vite config: dev server and `vite preview` on 127.0.0.1:5000, proxying /ws (with WebSocket upgrades), /api and /media to WSMOCK_BACKEND as the app's Vite proxy does.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const backend = process.env.WSMOCK_BACKEND || "http://127.0.0.1:3001";

// The app proxies '/ws' with ws:true (a prefix match, so HTTP /ws/stats goes too) and '/api', '/media'
// without it (PROTOCOL.md 4.1): /api/v1/ws/connect is therefore not WebSocket-proxied, as in the app.
const proxy = {
  "/ws": { target: backend, ws: true, changeOrigin: true },
  "/api": { target: backend, changeOrigin: true },
  "/media": { target: backend, changeOrigin: true },
};

export default defineConfig({
  plugins: [react()],
  server: { host: "127.0.0.1", port: 5000, strictPort: true, allowedHosts: true, proxy },
  preview: { host: "127.0.0.1", port: 5000, strictPort: true, allowedHosts: true, proxy },
});
