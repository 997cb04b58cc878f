"""The Rasa tokenizer that carries our Arabic preprocessing into training and inference alike.

Rasa 3.6 has no "preprocessor" component: only tokenizers and featurizers are chained. Rewriting the
message text would break entity offsets in training data, so the text stays as written and each
token's `lemma` holds its normalised form (Arabizi already transliterated). Components downstream read
the lemmas (`normalized_text`), and the detected language is kept on the message.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from language.analysis import analyse

LANGUAGE = "language"  # message property: "ar", "en" or "arabizi", as the citizen wrote


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ArabicTokenizer(Tokenizer):
    """Splits on whitespace and punctuation; normalises Arabic, transliterates Arabizi into `lemma`."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"intent_tokenization_flag": False, "intent_split_symbol": "_", "token_pattern": None}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ArabicTokenizer":
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        analysis = analyse(text)
        if attribute == TEXT:
            message.set(LANGUAGE, analysis.language, add_to_output=True)
        tokens = [Token(t.text, t.start, end=t.end, lemma=t.norm) for t in analysis.tokens]
        if not tokens:  # Rasa expects at least one token; an emoji-only message still gets one
            tokens = [Token(text or " ", 0, end=len(text), lemma="")]
        return self._apply_token_pattern(tokens)


def normalized_text(message: Message) -> str:
    """The message as the models see it: the tokens' normalised forms joined by spaces."""
    tokens: Optional[List[Token]] = message.get(TOKENS_NAMES[TEXT])
    if tokens is None:
        return analyse(message.get(TEXT) or "").normalized
    return " ".join(t.lemma for t in tokens if t.lemma)


def embedding_text(message: Message) -> str:
    """What the sentence encoder reads: the text as written, but Arabizi in Arabic script.

    The multilingual encoder knows Arabic and English; it has never seen Arabizi.
    """
    if message.get(LANGUAGE) == "arabizi":
        return normalized_text(message)
    return message.get(TEXT) or ""
