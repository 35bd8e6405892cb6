"""Contrast ratios (WCAG 2.x) of what a page really shows, read with getComputedStyle."""

from __future__ import annotations

from playwright.sync_api import Locator

# The element's text colour and the first opaque background behind it (walking up).
_COLOURS = """element => {
  const rgb = value => (value.match(/[\\d.]+/g) || []).map(Number);
  let node = element, background = null;
  while (node && node.nodeType === 1) {
    const colour = rgb(getComputedStyle(node).backgroundColor);
    if (colour.length === 3 || (colour.length === 4 && colour[3] === 1)) {
      background = colour.slice(0, 3); break;
    }
    node = node.parentElement;
  }
  return {text: rgb(getComputedStyle(element).color).slice(0, 3),
          background: background || [255, 255, 255]};
}"""


def _luminance(rgb: list[float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(first: list[float], second: list[float]) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_contrast(element: Locator) -> float:
    """Contrast of the element's text against the background it is drawn on."""
    colours = element.evaluate(_COLOURS)
    return ratio(colours["text"], colours["background"])


def background_luminance(element: Locator) -> float:
    """Relative luminance (0 black … 1 white) of the background behind the element."""
    return _luminance(element.evaluate(_COLOURS)["background"])
