"""Arabic text preprocessing shared by the Rasa tokenizer and the catalog matcher.

`analyse(text)` is the entry point; the other functions are its parts, exposed for callers that
need only one step.
"""

from nlu.text.analysis import Analysis, Token, analyse
from nlu.text.arabizi import arabizi_to_arabic
from nlu.text.language import detect_language
from nlu.text.normalize import normalize_arabic

__all__ = ["Analysis", "Token", "analyse", "arabizi_to_arabic", "detect_language", "normalize_arabic"]
