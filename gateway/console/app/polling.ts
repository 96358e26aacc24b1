// Live data by polling: every 2 s, paused while the tab is hidden. Polling rather than a server
// push: each answer is a few hundred bytes, it passes any proxy, and it holds no connection open
// against the node's per-address connection bound.
import { useEffect, useState } from 'preact/hooks';

export const POLL_INTERVAL_MS = 2000;

export function usePolled<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: string | null; updatedAt: number | null } {
  const [state, setState] = useState<{ data: T | null; error: string | null; updatedAt: number | null }>({ data: null, error: null, updatedAt: null });
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (document.visibilityState !== 'hidden') {
        try {
          const data = await load();
          if (!stopped) setState({ data, error: null, updatedAt: Date.now() });
        } catch (error) {
          if (!stopped) setState((previous) => ({ ...previous, error: (error as Error).message }));
        }
      }
      if (!stopped) timer = setTimeout(tick, POLL_INTERVAL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, deps);
  return state;
}
