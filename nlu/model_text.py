"""A message as the intent model reads it, for staff to see and for duplicates to be found.

The same steps as the Rasa components (config.yml): `nlu.tokenizer.ArabicTokenizer` normalises
each token (Arabizi transliterated), and `nlu.classifier` reads that text with Levantine words
mapped to MSA ones (`levantine_mapping: true`). tests/nlu/test_model_text.py holds the two equal.
"""

from __future__ import annotations

from language.analysis import analyse
from language.levantine import levantine_to_msa


def model_text(text: str) -> str:
    """"بدي اجدد جوازي" -> "اريد اجدد جوازي": what the classifier's character n-grams read."""
    analysis = analyse(text or "")
    # A message with no word (an emoji) still reaches the model as one token of itself (the tokenizer).
    return levantine_to_msa(analysis.normalized if analysis.tokens else (text or " "))


def same_example(a: str, b: str) -> bool:
    """Two examples the model cannot tell apart: the same text once normalised."""
    return model_text(a) == model_text(b)
