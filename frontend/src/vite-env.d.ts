// vite-env -- types for import.meta.env, including the optional VITE_WS_BACKEND override.
/// <reference types="vite/client" />
interface ImportMetaEnv {
  readonly VITE_WS_BACKEND?: string;
}
