"""Logging for every Tawasol process: our lines on stderr, the libraries' noise kept out.

Rasa 3.6 logs through structlog, which by default prints every level to *stdout*; that would
corrupt `tawasol nlu parse` output and flood service logs, so structlog is filtered and sent to
stderr like the rest.

A start used to print about ninety lines of TensorFlow, CUDA, SQLAlchemy and Rasa warnings that say
nothing to whoever runs Tawasol. Each is silenced at its source and by name (category and message),
so a warning nobody has looked at still shows.
"""

from __future__ import annotations

import builtins
import importlib
import logging
import os
import sys
import warnings

import structlog

NOISY = ("rasa", "rasa_sdk", "tensorflow", "absl", "sanic", "apscheduler", "urllib3", "httpx", "matplotlib", "fontTools", "alembic")

# (category, message regex): warnings raised by libraries on every start, about their own code.
KNOWN_WARNINGS: tuple[tuple[str, str], ...] = (
    ("DeprecationWarning", r"jax\.xla_computation is deprecated"),  # TensorFlow's import of jax
    ("DeprecationWarning", r"invalid escape sequence"),  # keras sources, compiled on first import
    ("DeprecationWarning", r"pkg_resources is deprecated as an API"),  # rasa, apscheduler
    ("DeprecationWarning", r"Deprecated call to `pkg_resources\.declare_namespace"),  # mpl_toolkits, ruamel
    ("DeprecationWarning", r"the load_module\(\) method is deprecated"),  # an old-style importer in Rasa's tree
    ("sqlalchemy.exc.MovedIn20Warning", r"Deprecated API features detected"),  # Rasa's own tables
    ("UserWarning", r"Slot auto-fill has been removed in 3\.0"),  # said by Rasa for any domain with slots
    ("pyparsing.PyparsingDeprecationWarning", r"'(setParseAction|parseString|resetCache)' deprecated"),  # matplotlib
)


def quiet_native_libraries() -> None:
    """Call before TensorFlow loads: its C++ log lines on INFO and WARNING (no CUDA driver, CPU
    instructions it was not built for, no TensorRT) are about a GPU set-up Tawasol does not use.
    Errors still print. An explicit TF_CPP_MIN_LOG_LEVEL wins."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _category(name: str) -> type[Warning]:
    """A warning class by name ("UserWarning", "sqlalchemy.exc.MovedIn20Warning")."""
    module, _, attribute = name.rpartition(".")
    return getattr(importlib.import_module(module) if module else builtins, attribute)


def silence_known_warnings() -> None:
    """Ignore `KNOWN_WARNINGS`, ahead of any broader filter: a filter added later takes precedence,
    and sanic (imported by Rasa) turns on every DeprecationWarning when it is imported
    (`filterwarnings("once", category=DeprecationWarning)` in sanic/app.py), so it is imported first."""
    import sanic  # noqa: F401

    for category, message in KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=_category(category))


def configure(level: str = "INFO") -> None:
    quiet_native_libraries()
    silence_known_warnings()
    numeric = logging.getLevelName(level.upper())
    numeric = numeric if isinstance(numeric, int) else logging.INFO
    logging.basicConfig(
        level=numeric,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
        force=True,
    )
    for name in NOISY:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(max(numeric, logging.WARNING)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
