"""The shape of our own dialogue policies: rules written in code, not learned.

Each subclass says in `_decide` which action a turn takes, or None to leave the turn to the
policies below it (Rasa's RulePolicy); a decision is predicted with certainty. Nothing is trained.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker


class DecidingPolicy(Policy):
    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Optional[Any] = None,
    ) -> None:
        super().__init__({**self.get_default_config(), **config}, model_storage, resource, execution_context, featurizer)
        self._read_config()

    def _read_config(self) -> None:
        """Read this policy's settings from `self.config` (its defaults merged with config.yml's)."""

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource  # nothing to learn: the rule is the code (and its configuration)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        decided = self._decide(tracker)
        if decided is not None:
            probabilities[domain.index_for_action(decided)] = 1.0
        return self._prediction(probabilities)

    def _decide(self, tracker: DialogueStateTracker) -> Optional[str]:
        """The action this turn must take, or None."""
        raise NotImplementedError
