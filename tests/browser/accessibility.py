"""Accessibility checks in the browser: axe-core (from tools/axe, `make test` installs it) injected into a page,
and the measures axe leaves to us: one h1, tap targets a finger can hit, and a phone's folded menu."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
NO_AXE = None if AXE.exists() else f"axe-core is missing at {AXE}: `make test` installs it (npm ci in tools/axe)"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
FINGER = 44  # px: the smallest target a finger hits reliably (WCAG 2.5.5, Apple's and Android's guides)

# What axe checks: WCAG 2.1 A and AA, and its best practices (one h1, header cells with text, landmarks).
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
SERIOUS = ("serious", "critical")
# Rules we hold to whatever impact axe gives them: the issue names them.
ALWAYS = ("page-has-heading-one", "empty-table-header", "empty-heading", "aria-allowed-role")


def violations(page) -> list[str]:
    """Run axe-core on the page as it is now; describe each serious or critical violation (and those of ALWAYS)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("options => axe.run(document, options).then(r => r.violations)", RULES)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:4]}"
        for v in found if v["impact"] in SERIOUS or v["id"] in ALWAYS
    ]


def small_targets(page, within: str = "main") -> list[str]:
    """The visible buttons, links and form controls in `within` smaller than a finger (44×44 px), described.

    A link inside a sentence is exempt, as WCAG 2.5.5 exempts it: its line is the target's size."""
    return page.evaluate(
        """([within, finger]) => {
          const out = [];
          const root = document.querySelector(within);
          if (!root) return out;
          const controls = 'a[href], button, select, input:not([type=hidden]), textarea, summary, [role=button]';
          root.querySelectorAll(controls).forEach(el => {
            const box = el.getBoundingClientRect();
            const style = getComputedStyle(el);
            if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') return;
            if (el.closest('[inert], [aria-hidden=true]')) return;
            if (el.matches('a') && style.display === 'inline' && el.closest('p, li, dd, td, span.said')
                && el.parentElement.textContent.trim() !== el.textContent.trim()) return;  // a link in a sentence
            // a box or radio button is hit through its label too: the target is both together
            let left = box.left, top = box.top, right = box.right, bottom = box.bottom;
            if (el.matches('input[type=checkbox], input[type=radio]')) {
              Array.from(el.labels || []).forEach(label => {
                const lb = label.getBoundingClientRect();
                left = Math.min(left, lb.left); top = Math.min(top, lb.top);
                right = Math.max(right, lb.right); bottom = Math.max(bottom, lb.bottom);
              });
            }
            const w = right - left, h = bottom - top;
            if (w + 0.5 < finger || h + 0.5 < finger) {
              const name = (el.getAttribute('aria-label') || el.textContent || el.name || el.id || '')
                .trim().slice(0, 30);
              out.push(`${el.tagName.toLowerCase()} "${name}" ${Math.round(w)}×${Math.round(h)}`);
            }
          });
          return out;
        }""",
        [within, FINGER],
    )
