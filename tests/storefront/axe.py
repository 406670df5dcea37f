"""axe-core in the browser tests: the committed `tests/fixtures/axe/axe.min.js` (4.14.x from
the npm registry, MPL-2.0, licence beside it) is injected into the page with Playwright's
`add_script_tag`, so no npm is needed at test time.

`serious_violations(page)` runs axe once on the current page and returns its violations of
impact serious or critical; `describe` turns them into a readable failure message (rule,
help, and the first nodes' selectors and HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parents[1] / "fixtures" / "axe" / "axe.min.js"
BLOCKING = {"serious", "critical"}

_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({
      target: n.target.join(' '), html: n.html, summary: n.failureSummary,
    })),
  }));
}"""


async def serious_violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical axe violations of the page as it is now."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.add_script_tag(path=str(AXE_JS))
    violations = await page.evaluate(_RUN)
    return [v for v in violations if v["impact"] in BLOCKING]


def describe(found: dict[str, list[dict[str, Any]]]) -> str:
    """`{page: violations}` as lines a person can act on."""
    lines = []
    for page, violations in found.items():
        for v in violations:
            lines.append(f"{page}: [{v['impact']}] {v['id']}: {v['help']}")
            for node in v["nodes"][:5]:
                lines.append(f"    {node['target']}: {node['html'][:200]}")
                lines.append(f"      {(node['summary'] or '').splitlines()[-1:]}")
    return "\n".join(lines)
