"""`tawasol chat`: the bot in a terminal, with numbered choices like the SMS menu."""

from __future__ import annotations

import asyncio

from core.messages import KIND_CHOICE, KIND_TEXT, WEB, BotReply, InboundMessage
from actions.catalog_access import use_store_catalog
from actions.citizen_records import use_store
from brain.rasa_brain import RasaBrain
from store import Store


def visual(text: str) -> str:
    """Arabic shaped and in visual order, for terminals without bidi support."""
    import arabic_reshaper
    from bidi.algorithm import get_display

    return "\n".join(get_display(arabic_reshaper.reshape(line)) for line in text.splitlines())


def show(reply: BotReply, reshape: bool) -> None:
    render = visual if reshape else (lambda s: s)
    print(render(reply.whole_text()))
    for number, option in enumerate(reply.choices, start=1):
        print(render(f"  {number}. {option.title}"))


async def run_chat(model: str, store: Store, *, reshape: bool, sender: str) -> None:
    use_store(store)  # tickets and subscriptions opened in the chat are recorded like the service's
    use_store_catalog(store)  # and the catalog is the store's, as the service's
    brain = RasaBrain.load(model)
    print("Tawasol — type a message (Ctrl-D to quit). Numbers pick a choice.")
    offered: list = []
    counter = 0
    while True:
        try:
            line = await asyncio.to_thread(input, "> ")
        except EOFError:
            print()
            return
        counter += 1
        line = line.strip()
        if line.isdigit() and 1 <= int(line) <= len(offered):
            message = InboundMessage(WEB, f"chat-{counter}", sender, kind=KIND_CHOICE, payload=offered[int(line) - 1].id)
        else:
            message = InboundMessage(WEB, f"chat-{counter}", sender, kind=KIND_TEXT, text=line)
        answer = await brain.respond(sender, message)
        offered = []
        for reply in answer.replies:
            show(reply, reshape)
            offered = reply.choices or offered
