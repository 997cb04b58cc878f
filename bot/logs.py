"""Logging for every Tawasol process: our lines on stderr, Rasa's chatter kept down.

Rasa 3.6 logs through structlog, which by default prints every level to *stdout*; that would
corrupt `tawasol nlu parse` output and flood service logs, so structlog is filtered and sent to
stderr like the rest.
"""

from __future__ import annotations

import logging
import sys

import structlog

NOISY = ("rasa", "rasa_sdk", "tensorflow", "absl", "sanic", "apscheduler", "urllib3", "httpx", "matplotlib")


def configure(level: str = "INFO") -> None:
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
