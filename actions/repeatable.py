"""Which actions may be replayed from the answer cache instead of run again (brain/answer_cache.py).

An action is repeatable when what it does depends only on the message (its parse) and the dialogue
slots, and it touches nothing outside the tracker: the same message in the same dialogue state
always gets the same reply and the same slot changes. Actions that write records (tickets,
subscriptions) or ask an agency's backend (transaction status, forms) are not, so a turn that runs
one of them always goes through Rasa. Add a new action here only if it is pure in that sense.
"""

from __future__ import annotations

REPEATABLE_ACTIONS = frozenset(
    {
        # Rasa's own bookkeeping around every turn.
        "action_listen",
        "action_session_start",
        "action_default_fallback",
        # Replies composed from the catalog and data/replies.yml.
        "action_answer_service",
        "action_greet",
        "action_goodbye",
        "action_thank",
        "action_affirm",
        "action_deny",
        "action_bot_challenge",
        "action_list_services",
        "action_out_of_scope",
        "action_not_understood",
    }
)
