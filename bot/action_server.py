"""`python -m bot.action_server [--port 5055]`: the custom actions as a stand-alone HTTP server, for
stock `rasa shell` / `rasa run` (our own service runs them in process and needs none of this).

It is `rasa run actions` with the store handed to the actions first: the actions that leave a
record (tickets, subscriptions) write to `DATABASE_URL`, migrated here, never by the actions.
"""

from __future__ import annotations

import argparse
import sys

from actions.citizen_records import use_store
from actions.catalog_access import use_store_catalog
from bot.content import use_content
from bot.settings import Settings, SettingsError
from store import Store
from store.migrate import upgrade


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    use_content(settings)
    upgrade(settings.database_url)
    store = Store(settings.database_url)
    use_store(store)
    use_store_catalog(store)  # the same live catalog as the service's
    from rasa_sdk.endpoint import run

    run("actions", port=args.port)


if __name__ == "__main__":
    main()
