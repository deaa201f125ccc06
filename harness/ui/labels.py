"""App labels the screens show (Recents cards, notification headers, Settings headers, dialogs)."""

from __future__ import annotations

from harness.companion.protocol import PACKAGE

# android:label of the companion's <application> (android-app/app/src/main/AndroidManifest.xml)
KNOWN_LABELS = {PACKAGE: "Harness companion"}


def app_label(package: str, label: str | None = None) -> str:
    """The label to look for: the one given, the known one, else the package name."""
    return label or KNOWN_LABELS.get(package, package)
