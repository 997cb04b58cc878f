"""Arabic text preprocessing shared by the Rasa tokenizer and the catalog matcher.

`analyse(text)` is the entry point; the other functions are its parts, exposed for callers that
need only one step.
"""

from language.analysis import Analysis, Token, analyse
from language.arabizi import arabizi_to_arabic
from language.language import detect_language
from language.normalize import normalize_arabic

__all__ = ["Analysis", "Token", "analyse", "arabizi_to_arabic", "detect_language", "normalize_arabic"]
