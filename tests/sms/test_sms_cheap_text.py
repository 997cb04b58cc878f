"""What SMS text loses to stay in the cheapest encoding: pictographs, and typographic punctuation's
look (its GSM-7 twin says the same); never a letter, a digit or a meaningful symbol."""

from channels.sms import segments
from channels.sms.cheap_text import cheap_text


def test_pictographs_go_with_the_parts_they_are_built_of():
    assert cheap_text("Welcome 👋 Ask me") == "Welcome Ask me"
    assert cheap_text("ℹ️ This is guidance.") == "This is guidance."
    assert cheap_text("تؤكد الرقم النهائي. ℹ️") == "تؤكد الرقم النهائي."
    assert cheap_text("Done ✅, thanks 👍🏽") == "Done, thanks"
    assert cheap_text("Family 👨‍👩‍👧 office") == "Family office"
    assert cheap_text("Press 1️⃣ now") == "Press 1 now"  # the keycap's digit stays


def test_typographic_punctuation_becomes_its_gsm7_twin():
    text = "Passport renewal — CSPD: “fees” don’t change… • 8:30–15:00"
    plain = cheap_text(text)
    assert plain == 'Passport renewal - CSPD: "fees" don\'t change... - 8:30-15:00'
    assert segments.is_gsm7(plain) and not segments.is_gsm7(text)


def test_letters_digits_lines_and_meaningful_symbols_are_kept():
    arabic = "رسوم الجواز 50 دينارًا، «إي فواتيركم»\n- الهوية\n\n- الصورة"
    assert cheap_text(arabic) == arabic
    assert cheap_text("Keep at 25°C, fee 5 €") == "Keep at 25°C, fee 5 €"
    assert cheap_text("") == ""


def test_a_line_of_only_pictographs_leaves_no_gap():
    assert cheap_text("Hello\n🎉🎉\n\n\nBye") == "Hello\n\nBye"
