import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { hrefOf, parseRoute, type Route } from '../routing/routes';

let listeners: ((r: Route) => void)[] = [];

export function navigate(to: Route | string, replace = false): void {
  const href = typeof to === 'string' ? to : hrefOf(to);
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  const r = parseRoute(location.pathname);
  for (const l of listeners) l(r);
  window.scrollTo(0, 0);
}

/** The current page, following pushState and the back/forward buttons. */
export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(location.pathname));
    listeners.push(setRoute);
    window.addEventListener('popstate', onPop);
    return () => {
      listeners = listeners.filter((l) => l !== setRoute);
      window.removeEventListener('popstate', onPop);
    };
  }, []);
  return route;
}

/** A real link (middle-click and copy work) that navigates in place on a plain click. */
export function Link(props: { to: Route; children: ComponentChildren; class?: string; 'aria-label'?: string }) {
  const href = hrefOf(props.to);
  return (
    <a
      href={href}
      class={props.class}
      aria-label={props['aria-label']}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {props.children}
    </a>
  );
}
