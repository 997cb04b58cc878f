"""A citizen who moves on has moved on: a form whose question went unanswered ends.

While the transaction form waits for a number, a message with another intent ("قديش رسوم الجواز؟")
makes the form reject it and another rule answer it; Rasa then goes back to the form, which asks
for the number again, under every later answer, until the citizen writes "no". This policy, above
the RulePolicy, ends the form right after such an answer instead (`action_deactivate_loop`, which
also clears the requested slot), then listens. The form still gets the first look at every message,
so a number, or a message it can read, fills it as before; a message the bot did not understand
leaves the form waiting (the citizen has not clearly moved on).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.constants import POLICY_PRIORITY, RULE_POLICY_PRIORITY
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_DEACTIVATE_LOOP_NAME
from rasa.shared.core.trackers import DialogueStateTracker

from dialogue.deciding_policy import DecidingPolicy


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class MovedOnPolicy(DecidingPolicy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Actions after which the form keeps waiting: the citizen has not said something else.
            "keep_form_after": ["action_not_understood", "action_default_fallback"],
            POLICY_PRIORITY: RULE_POLICY_PRIORITY + 1,
        }

    def _read_config(self) -> None:
        self.keep_form_after = frozenset(self.config["keep_form_after"])

    def _decide(self, tracker: DialogueStateTracker) -> Optional[str]:
        latest = tracker.latest_action_name
        if latest == ACTION_DEACTIVATE_LOOP_NAME:
            return ACTION_LISTEN_NAME  # only this policy ends a loop that way here
        loop = tracker.active_loop_name
        if not loop or latest in (None, ACTION_LISTEN_NAME, loop) or latest in self.keep_form_after:
            return None
        # Another action answered the citizen while the form was waiting: they moved on.
        return ACTION_DEACTIVATE_LOOP_NAME
