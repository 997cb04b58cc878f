"""Where a process reads its content (the catalog's seed directory, the wording file) and the agency
lookups' timeouts: set before anything reads them. Kept apart from bot/runtime.py so a command that
only needs the store (`tawasol catalog`, `tawasol staff`) does not load the dialogue engine."""

from __future__ import annotations

from actions.agency_backends import LookupSettings, use_lookup_settings
from bot.settings import Settings
from catalog.replies import use_replies_file
from catalog.services import use_catalog_dir


def use_content(settings: Settings) -> None:
    """Point catalog/ at the settings' services catalog and wording file, and the agency lookups at
    their timeouts, before anything reads them."""
    use_catalog_dir(settings.catalog_dir)
    use_replies_file(settings.replies_file)
    use_lookup_settings(
        LookupSettings(timeout_s=settings.agency_lookup_timeout_s, retries=settings.agency_lookup_retries)
    )
