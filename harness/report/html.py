"""One self-contained HTML page per run: inline CSS, inline SVG, no scripts, no external files.

Per spec: the verdict, where the spec lives, a timeline of journal events on a device-time axis
with device-state lanes (see :mod:`harness.report.timeline`), the steps, and for a failure the
expected/actual text with the events around it.
"""

from __future__ import annotations

import datetime as _dt
from html import escape

from harness.report.timeline import render_timeline
from harness.runner.result import RunResult, SpecResult, Verdict, format_event

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d2330;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px}
.summary{margin:0 0 20px;color:#4a5263}
.counts span{display:inline-block;margin-right:12px;font-weight:600}
section.spec{background:#fff;border:1px solid #d8dde6;border-radius:6px;padding:14px 18px;margin:0 0 18px}
section.spec h2{font-size:17px;margin:0 0 4px;display:flex;gap:10px;align-items:center}
.where{color:#667085;font-size:13px;margin:0 0 10px}
.verdict{font-size:12px;font-weight:700;padding:2px 8px;border-radius:10px;color:#fff}
.verdict-PASSED{background:#1f8a4c}.verdict-FAILED{background:#c62828}
.verdict-SKIPPED{background:#8a8f98}.verdict-ERROR{background:#b26a00}
.reason{margin:6px 0 10px;white-space:pre-wrap}
.failure{border-left:4px solid #c62828;background:#fff4f4;padding:8px 12px;margin:8px 0}
.failure pre,.events pre{margin:4px 0;white-space:pre-wrap;font-size:12.5px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{border-bottom:1px solid #eceff3;padding:3px 8px;text-align:left;vertical-align:top}
details{margin:6px 0}
svg.timeline{background:#fff;border:1px solid #eceff3;margin:6px 0;max-width:100%;height:auto}
svg .label{font-size:11px;fill:#4a5263}
svg .tick{font-size:10px;fill:#667085}
svg .lane-text{font-size:10px;fill:#1d2330}
svg .axis{stroke:#98a2b3}
svg .boot{stroke:#b26a00;stroke-dasharray:4 3}
svg .st-on{fill:#cdebd8}svg .st-off{fill:#e4e7ec}svg .st-warn{fill:#ffe2a8}
svg line.step{stroke:#98a2b3;stroke-dasharray:2 3}svg circle.step{fill:#475467}
svg line.step-failed{stroke:#c62828;stroke-dasharray:2 3}svg circle.step-failed{fill:#c62828}
svg .ev-scheduled{fill:#6172f3}svg .ev-started{fill:#1f8a4c}svg .ev-finished{fill:#0e5e32}
svg .ev-fired{fill:#0086c9}svg .ev-stopped{fill:#d92d20}svg .ev-failed{fill:#912018}
svg .ev-app{fill:#8a8f98}svg .ev-other{fill:#475467}
.legend span{display:inline-block;margin-right:10px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
"""

LEGEND = (
    '<div class="legend">'
    '<span><i style="background:#6172f3"></i>scheduled</span>'
    '<span><i style="background:#1f8a4c"></i>started</span>'
    '<span><i style="background:#0e5e32"></i>finished</span>'
    '<span><i style="background:#0086c9"></i>alarm fired</span>'
    '<span><i style="background:#d92d20"></i>stopped / cancelled</span>'
    '<span><i style="background:#8a8f98"></i>app</span>'
    "</div>"
)


def _spec_section(r: SpecResult, index: int) -> str:
    out = [
        f'<section class="spec" id="spec-{index}" data-verdict="{r.verdict.value}">',
        f'<h2><span class="verdict verdict-{r.verdict.value}">{r.verdict.value}</span>{escape(r.name)}</h2>',
        f'<p class="where">{escape(r.location)} · {escape(r.device)}'
        + (f" · API {r.api_level}" if r.api_level else "")
        + (" · virtual device" if r.virtual else "")
        + f" · {r.host_duration_s:.2f}s · {r.round_trips} adb round trips</p>",
    ]
    if r.verdict is not Verdict.PASSED and r.reason and not r.failures:
        out.append(f'<p class="reason">{escape(r.reason)}</p>')
    for f in r.failures:
        around = "\n".join(format_event(e) for e in f.around) or "(no events in the journal)"
        out.append(
            '<div class="failure">'
            f"<strong>{escape(f.expectation)}</strong>"
            + (f" <span class=\"where\">line {f.line}</span>" if f.line else "")
            + f"<table><tr><th>expected</th><td>{escape(f.expected)}</td></tr>"
            f"<tr><th>actual</th><td>{escape(f.actual)}</td></tr></table>"
            f"<div class=\"events\">events around it:<pre>{escape(around)}</pre></div></div>"
        )
    for problem in r.restore_problems:
        out.append(f'<p class="reason">restore: {escape(problem)}</p>')
    out.append(render_timeline(r))
    out.append(LEGEND)
    if r.steps:
        rows = "".join(
            f"<tr><td>{s.index + 1}</td><td>{escape(s.kind)}</td><td>{escape(s.description)}</td>"
            f"<td>{s.line or ''}</td><td>{s.status.value}</td><td>{s.host_duration_s * 1000:.0f} ms</td>"
            f"<td>{s.round_trips}</td><td>{escape(s.message)}</td></tr>"
            for s in r.steps
        )
        out.append(
            "<details><summary>Steps</summary><table><tr><th>#</th><th>step</th><th>what</th><th>line</th>"
            f"<th>status</th><th>host time</th><th>adb round trips</th><th>note</th></tr>{rows}</table></details>"
        )
    if r.events:
        ev = "\n".join(format_event(e) for e in r.events)
        out.append(f'<details class="events"><summary>Journal ({len(r.events)} events)</summary><pre>{escape(ev)}</pre></details>')
    out.append("</section>")
    return "".join(out)


def render_run(run: RunResult, title: str = "Background work report") -> str:
    counts = run.counts()
    started = _dt.datetime.fromtimestamp(run.started_wall).isoformat(timespec="seconds") if run.started_wall else ""
    count_html = "".join(
        f'<span class="verdict-count" data-verdict="{k}">{k.lower()}: {v}</span>' for k, v in counts.items()
    )
    head = (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="summary">{escape(run.device)}{" (virtual device)" if run.virtual else ""} · {escape(started)}'
        f" · {len(run.specs)} specs · {run.host_duration_s:.1f}s"
        + (" · <strong>interrupted: partial report</strong>" if run.interrupted else "")
        + f'</p><p class="counts">{count_html}</p>'
    )
    body = "".join(_spec_section(r, i) for i, r in enumerate(run.specs))
    return head + body + "</body></html>"
