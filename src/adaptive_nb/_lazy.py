"""Lazy package attributes (as ``concurrent.futures`` loads its pools): a name is imported
from its module on first use, so importing a package costs next to nothing."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_attributes(
    package: str, names: dict[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``__getattr__`` and ``__dir__`` for ``package``; ``names`` maps each public
    name to the module that defines it (a name equal to the module's last part is the
    module itself). A loaded value is cached in ``namespace`` (the package's globals)."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        loaded = importlib.import_module(module)
        value = loaded if module.endswith("." + name) else getattr(loaded, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted([*namespace, *names])

    return __getattr__, __dir__
