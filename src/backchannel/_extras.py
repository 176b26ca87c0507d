"""Optional dependencies (the extras of ``pip install 'backchannel[...]'``): import one,
or fail with a message that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtra(ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, module: str, extra: str, purpose: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(
            f"{purpose} needs the optional package {module!r}, which is not installed: "
            f"pip install 'backchannel[{extra}]' (or 'backchannel[all]')",
            name=module,
        )


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtra` naming ``extra``; ``purpose`` says
    what needs it ("the HTML report")."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name is not None and module.split(".")[0] != exc.name.split(".")[0]:
            raise  # the package is there but something inside it is broken: show that
        raise MissingExtra(module, extra, purpose) from None
