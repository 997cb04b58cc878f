"""Low NLU confidence is a dialogue decision: say "I did not understand", never answer a guess.

Rasa's usual way is the FallbackClassifier, which renames a low-confidence intent "nlu_fallback"
inside the NLU pipeline. That makes the NLU model lie about its best guess: `rasa test nlu` and any
other reader of the model (staff reviewing messages, another domain's evaluation) score every such
message as wrong. So the NLU pipeline reports its best guess with its confidence, and this policy,
placed above the RulePolicy, decides the turn: after a user message whose intent confidence is
under `threshold`, it predicts `action` (which answers, offers the menu and a human, and flags the
message for staff review), then listens. Because it lives in the model's policies, every way of
running the bot behaves alike: our service, stock `rasa shell` and `rasa run`.

While a form is asking for something (a transaction number), the form reads the message first:
"12345678" has no intent worth the name and is exactly what the form asked for. Only if the form
rejects it does this policy speak.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.constants import POLICY_PRIORITY, RULE_POLICY_PRIORITY
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.trackers import DialogueStateTracker

from dialogue.deciding_policy import DecidingPolicy

DEFAULT_THRESHOLD = 0.40


def is_low_confidence(intent: Optional[Dict[Text, Any]], threshold: float) -> bool:
    """An intent the bot must not act on: none at all, or one the model is not sure of."""
    if not intent or not intent.get("name"):
        return True
    return float(intent.get("confidence") or 0.0) < threshold


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class LowConfidencePolicy(DecidingPolicy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "threshold": DEFAULT_THRESHOLD,
            "action": "action_not_understood",
            # Above the RulePolicy, whose rules would otherwise act on the guessed intent.
            POLICY_PRIORITY: RULE_POLICY_PRIORITY + 1,
        }

    def _read_config(self) -> None:
        self.threshold = float(self.config["threshold"])
        self.action = str(self.config["action"])

    def _decide(self, tracker: DialogueStateTracker) -> Optional[str]:
        message = tracker.latest_message
        if message is None or not message.text or not is_low_confidence(message.intent, self.threshold):
            return None
        latest = tracker.latest_action_name
        if latest == ACTION_LISTEN_NAME:
            if tracker.active_loop_name and not tracker.is_active_loop_rejected:
                return None  # the form reads the message first (see the module's docstring)
            return self.action
        if latest == self.action:
            return ACTION_LISTEN_NAME
        return None
