"""The few fixed things the pipeline says itself (keyword confirmations, apologies), in Arabic and English."""

from __future__ import annotations

from bot.messages import BotReply

_TEXTS: dict[str, dict[str, str]] = {
    "stopped": {
        "ar": "تم إيقاف رسائل التنبيه. يمكنك متابعة السؤال عن الخدمات في أي وقت. أرسل \"ابدأ\" لإعادة الاشتراك.",
        "en": "You will no longer receive alerts. You can still ask about services any time. Send START to resume.",
    },
    "started": {
        "ar": "تم تفعيل رسائل التنبيه. أرسل \"إيقاف\" لإيقافها في أي وقت.",
        "en": "Alerts are on again. Send STOP to turn them off at any time.",
    },
    "help": {
        "ar": (
            "أهلاً بك في تواصل، المساعد الحكومي الموحد. اكتب سؤالك عن أي خدمة حكومية، مثل: تجديد جواز السفر.\n"
            "أرسل \"إيقاف\" لإيقاف التنبيهات، \"English\" للإنجليزية، \"المزيد\" لبقية الإجابة."
        ),
        "en": (
            "Welcome to Tawasol, the government assistant. Ask about any government service, "
            "e.g. renewing a passport.\nSend STOP to stop alerts, عربي for Arabic, MORE for the rest of an answer."
        ),
    },
    "language_set": {
        "ar": "تم. سأجيبك باللغة العربية.",
        "en": "Done. I will answer in English.",
    },
    "nothing_more": {
        "ar": "لا يوجد المزيد من التفاصيل لآخر رسالة. اكتب سؤالك وسأساعدك.",
        "en": "There is nothing more for the last message. Ask your question and I will help.",
    },
    "text_only": {
        "ar": "عذراً، أستطيع قراءة الرسائل النصية فقط. اكتب سؤالك من فضلك.",
        "en": "Sorry, I can only read text messages. Please type your question.",
    },
    "apology": {
        "ar": "عذراً، حدث خلل مؤقت ولم أتمكن من الإجابة الآن. يرجى المحاولة بعد قليل.",
        "en": "Sorry, something went wrong and I could not answer just now. Please try again shortly.",
    },
    "menu_out_of_range": {
        "ar": "يرجى إرسال رقم من 1 إلى {count}.",
        "en": "Please send a number from 1 to {count}.",
    },
}


def stock_reply(name: str, language: str = "ar", **values: object) -> BotReply:
    """A fixed reply; unknown languages get Arabic, the default of a Jordanian government service."""
    texts = _TEXTS[name]
    language = language if language in texts else "ar"
    return BotReply(text=texts[language].format(**values), language=language)
