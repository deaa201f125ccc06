"""Placeholder: to be filled in (see docs/fidelity.md for the rules this subsystem applies)."""

from __future__ import annotations

from harness.virtual.model.subsystem import Subsystem


class WorkManager(Subsystem):
    pass
