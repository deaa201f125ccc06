"""Writing a run's report: ``results.json`` and ``report.html`` in one directory.

Both files are written to a temporary name and renamed, so a reader (or an interrupted run)
never sees half a file.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from harness.report.html import render_run
from harness.runner.result import RunResult

log = logging.getLogger(__name__)

RESULTS_JSON = "results.json"
REPORT_HTML = "report.html"


@dataclass(frozen=True)
class ReportFiles:
    json: Path
    html: Path


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_report(run: RunResult, directory: str | os.PathLike[str]) -> ReportFiles:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(out / RESULTS_JSON, out / REPORT_HTML)
    _atomic_write(files.json, json.dumps(run.to_json(), indent=1, sort_keys=False) + "\n")
    _atomic_write(files.html, render_run(run))
    log.info("report written to %s", out)
    return files
