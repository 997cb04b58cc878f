"""What the inbox shows as "what the model reads" is what the Rasa components read, and grouping by
meaning puts paraphrases together and other questions apart."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from language.levantine import levantine_to_msa
from nlu.meaning_groups import group_by_meaning
from nlu.model_text import model_text, same_example
from nlu.tokenizer import ArabicTokenizer, normalized_text

SAMPLES = ["بدي اجدد جوازي شو الرسوم", "قدّيش رسوم تجديد الجواز؟", "wen maktab el tarkhees", "How much is the fee?",
           "🙂", "شو بدي اعمل"]


@pytest.mark.parametrize("text", SAMPLES)
def test_model_text_is_the_tokenizers_normalised_text_with_the_classifiers_levantine_mapping(text):
    message = Message({TEXT: text})
    ArabicTokenizer(ArabicTokenizer.get_default_config()).process([message])
    assert model_text(text) == levantine_to_msa(normalized_text(message))


def test_spelling_variants_are_the_same_example():
    assert same_example("قديش رسوم الجواز؟", "قدّيش رسوم الجواز")
    assert not same_example("قديش رسوم الجواز", "قديش رسوم الهوية")


def test_paraphrases_group_together_biggest_first():
    texts = ["وين مكتب الترخيص", "قديش رسوم تجديد الجواز", "كم رسوم تجديد جواز السفر", "passport renewal fees",
             "wen maktab el tarkhees", "بدي اشتكي على موظف"]
    assert group_by_meaning(texts) == [[1, 2, 3], [0, 4], [5]]
    assert group_by_meaning([]) == []
