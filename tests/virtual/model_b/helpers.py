"""In-process access to one virtual device for the model-B rule tests (no transport involved).

The adb-driven tests (test_adb_end_to_end.py) cover the same rules through the real adb server;
these keep the many rule checks fast.
"""

from __future__ import annotations

import json
from typing import Any

from harness.virtual.commands import build_registry
from harness.virtual.model.device import DeviceModel
from harness.virtual.shell.registry import CommandContext, ShellResult

PKG = "dev.harness.companion"
URI = "content://dev.harness.companion.rpc"
MIN = 60_000


class Dev:
    def __init__(self, api: int = 34) -> None:
        self.model = DeviceModel(api=api)
        self.registry = build_registry()

    def reset(self, api: int = 34) -> None:
        self.model.reset(api=api)

    def sh(self, *argv: str, uid: int = 2000) -> ShellResult:
        return self.registry.dispatch(CommandContext(self.model, uid=uid), list(argv))

    def out(self, *argv: str) -> str:
        r = self.sh(*argv)
        assert r.status == 0, (argv, r.status, r.stderr)
        return r.stdout.decode()

    def call(self, method: str, arg: dict[str, Any] | None = None, uid: int = 2000) -> dict[str, Any]:
        argv = ["content", "call", "--uri", URI, "--method", method]
        if arg is not None:
            argv += ["--arg", json.dumps(arg)]
        r = self.sh(*argv, uid=uid)
        text = r.stdout.decode()
        assert text.startswith("Result: Bundle[{json=") and text.endswith("}]\n"), (text, r.stderr)
        return json.loads(text[len("Result: Bundle[{json="):-3])

    def rpc(self, method: str, arg: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self.call(method, arg)
        assert answer["ok"], answer
        return answer

    def schedule(self, task_id: str, mechanism: str, params: dict[str, Any] | None = None,
                 behavior: dict[str, Any] | None = None) -> dict[str, Any]:
        task: dict[str, Any] = {"id": task_id, "mechanism": mechanism}
        if params is not None:
            task["params"] = params
        if behavior is not None:
            task["behavior"] = behavior
        return self.call("schedule", {"task": task})

    def events(self, task_id: str | None = None) -> list[dict[str, Any]]:
        evs = self.rpc("events", {"limit": 1000})["events"]
        return [e for e in evs if task_id is None or e["task_id"] == task_id]

    def kinds(self, task_id: str) -> list[str]:
        return [e["kind"] for e in self.events(task_id)]

    def first(self, task_id: str, kind: str) -> dict[str, Any]:
        return next(e for e in self.events(task_id) if e["kind"] == kind)

    def of_kind(self, task_id: str, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events(task_id) if e["kind"] == kind]

    def advance(self, ms: int) -> None:
        self.model.advance(ms)

    @property
    def now(self) -> int:
        return self.model.clock.elapsed_ms

    def reboot(self) -> None:
        self.model.shutdown()
        self.model.boot()

    def job_id(self, task_id: str) -> int:
        tasks = {t["task_id"]: t for t in self.rpc("list")["tasks"]}
        return int(tasks[task_id]["platform"]["job_id"])

    def state(self, task_id: str) -> str:
        tasks = {t["task_id"]: t for t in self.rpc("list")["tasks"]}
        return str(tasks[task_id]["state"])
