"""Screen-level actions through uiautomator2: Recents, the notification shade, Settings pages, system dialogs.

Entry point: :func:`harness.ui.session.connect` (a :class:`UiSession` for a bridge Device); the
actions live in recents.py, notifications.py, settings_pages.py and dialogs.py.
"""
