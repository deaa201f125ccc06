from harness.virtual.shell.registry import (
    CommandContext,
    CommandRegistry,
    Effect,
    Handler,
    ShellResult,
)

__all__ = ["CommandContext", "CommandRegistry", "Effect", "Handler", "ShellResult"]
