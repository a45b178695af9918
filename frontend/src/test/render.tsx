// render -- minimal React test helpers for jsdom (no testing-library): mount a hook or a page inside act(), flush microtasks, unmount.
import { act, ReactNode, StrictMode } from "react";
import { createRoot, Root } from "react-dom/client";
import { MemoryRouter } from "react-router-dom";
import { App } from "../App";
import { WsConfigProvider } from "../hooks/WsConfigContext";
import { parseWsConfig } from "../ws/config";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

export interface Mounted {
  container: HTMLElement;
  root: Root;
  unmount(): void;
}

function mount(node: ReactNode): Mounted {
  const container = document.createElement("div");
  document.body.appendChild(container);
  const root = createRoot(container);
  act(() => root.render(node));
  return {
    container,
    root,
    unmount() {
      act(() => root.unmount());
      container.remove();
    },
  };
}

/** Runs pending microtasks (the hook opens its socket one microtask after the effect) inside act(). */
export async function flush(): Promise<void> {
  await act(async () => {});
}

/** Runs `fn` (which fires socket events or advances fake timers) inside act() so React renders the result. */
export function step(fn: () => void): void {
  act(fn);
}

export interface HookHandle<P, R> extends Mounted {
  /** The hook's latest return value. */
  readonly current: R;
  rerender(props: P): void;
}

/** Mounts a component that calls `useHook(props)`; `strict` wraps it in React.StrictMode as the app's main.tsx does. */
export function renderHook<P, R>(useHook: (props: P) => R, props: P, opts: { strict?: boolean } = {}): HookHandle<P, R> {
  let latest: R | undefined;
  function Probe({ p }: { p: P }) {
    latest = useHook(p);
    return null;
  }
  const wrap = (p: P) => (opts.strict ? <StrictMode><Probe p={p} /></StrictMode> : <Probe p={p} />);
  const m = mount(wrap(props));
  return {
    ...m,
    get current() {
      return latest as R;
    },
    rerender(p: P) {
      act(() => m.root.render(wrap(p)));
    },
  };
}

/** Mounts the whole app at `path` (with its query string), with the settings that query string gives. */
export function renderApp(path: string): Mounted {
  const search = path.includes("?") ? path.slice(path.indexOf("?")) : "";
  return mount(
    <StrictMode>
      <WsConfigProvider config={parseWsConfig(search)}>
        <MemoryRouter initialEntries={[path]}>
          <App />
        </MemoryRouter>
      </WsConfigProvider>
    </StrictMode>,
  );
}

/** The element with `data-testid`, or an error naming it. */
export function byTestId(container: ParentNode, id: string): HTMLElement {
  const el = container.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element with data-testid="${id}"`);
  return el;
}

export function allByTestId(container: ParentNode, id: string): HTMLElement[] {
  return Array.from(container.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`));
}

/** Sets an input's value the way a user typing does, so React's onChange fires. */
export function typeInto(input: HTMLInputElement, value: string): void {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")?.set;
  act(() => {
    setter?.call(input, value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

export function click(el: HTMLElement): void {
  act(() => {
    el.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  });
}
