"""The page times itself: when elements appear, measured inside the browser.

Playwright's ``wait_for_selector`` (and ``locator.wait_for``) polls the page at 0, 20,
70, 170 and 270 ms, then every 500 ms, so a clock read when it returns is rounded up to
the next poll: an answer shown 40 ms after mouse-up read as ~80 ms, a canvas ready at
2.1 s as 2.5 s. A benchmark that times something on the page installs this clock before
the page loads, waits with Playwright as before, and then reads what the page recorded.
"""

from __future__ import annotations

import json

_SCRIPT = """(() => {
  const selectors = %s;
  const clock = window.__hwrClock = { up: null, ready: {}, shown: {}, present: {} };
  const check = () => {
    for (const selector of selectors) {
      const element = document.querySelector(selector);
      const present = element !== null && element.getBoundingClientRect().width > 0;
      if (present && !clock.present[selector]) {
        clock.shown[selector] = performance.now();
        if (!(selector in clock.ready)) clock.ready[selector] = Date.now();
      }
      clock.present[selector] = present;
    }
  };
  addEventListener("pointerup", () => { clock.up = performance.now(); clock.shown = {}; },
                   true);
  new MutationObserver(check).observe(document,
                                      { childList: true, subtree: true, attributes: true });
})();"""


def script(*selectors: str) -> str:
    """The clock for ``add_init_script``: when each selector first has a size on the
    page, and when it appears after each pointer-up (mouse, finger or pen)."""
    return _SCRIPT % json.dumps(list(selectors))


def install(page, *selectors: str) -> None:
    """Before ``page.goto`` (Playwright's sync API): the clock for ``selectors``."""
    page.add_init_script(script=script(*selectors))


def _latency(clock: dict, selector: str) -> float:
    shown = clock["shown"].get(selector)
    if clock["up"] is None or shown is None:
        raise RuntimeError(f"the page recorded no pointer-up followed by {selector}")
    return (shown - clock["up"]) / 1000


def since_pointer_up(page, selector: str) -> float:
    """Seconds from the last pointer-up to ``selector`` appearing after it."""
    return _latency(page.evaluate("() => window.__hwrClock"), selector)


async def since_pointer_up_async(page, selector: str) -> float:
    """The same for Playwright's async API."""
    return _latency(await page.evaluate("() => window.__hwrClock"), selector)


def first_ready(page, selector: str) -> float:
    """When ``selector`` first had a size, in seconds since the epoch (``time.time()``'s
    clock: the page runs on the same machine)."""
    ready = page.evaluate("() => window.__hwrClock.ready")
    if selector not in ready:
        raise RuntimeError(f"{selector} never appeared")
    return ready[selector] / 1000
