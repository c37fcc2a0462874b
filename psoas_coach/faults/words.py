"""The coach's words in other languages: fault names, athlete cues and the live coach's phrases.

English is what the fault rules declare (``label``, ``cue``) and what the live coach says; this
module holds every translation, keyed by the English text, so a phrase is written in English
once (in its rule or the live module) and looked up here. A text without a translation stays
English (never an error: a new cue shows up untranslated rather than breaking a session).

The language is chosen per team (``Team.language``, one of :data:`LANGUAGES`); the reports,
the dashboard and the spoken cues of the live page use it.
"""

from __future__ import annotations

from psoas_coach.faults.base import cue_for, label_for

#: Languages a team can choose: code -> name in that language. ``en`` is the default.
LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch", "fr": "Français"}
DEFAULT_LANGUAGE = "en"

#: English text -> {language: text}. Fault names and cues, then the live coach's phrases.
_TRANSLATIONS: dict[str, dict[str, str]] = {
    # fault names (FaultRule.label)
    "hold too short": {"de": "Halten zu kurz", "fr": "maintien trop court"},
    "hold too long": {"de": "Halten zu lang", "fr": "maintien trop long"},
    "rushed the leg out": {"de": "Bein zu schnell gestreckt", "fr": "jambe tendue trop vite"},
    "leg not fully straight": {"de": "Bein nicht ganz gestreckt", "fr": "jambe pas tendue"},
    "back lifts off the floor": {"de": "Rücken hebt ab", "fr": "le dos décolle"},
    "other leg moves": {"de": "anderes Bein wandert", "fr": "l'autre jambe bouge"},
    "not starting from 90/90": {"de": "Start nicht aus 90/90", "fr": "départ hors 90/90"},
    "didn't switch legs": {"de": "Bein nicht gewechselt", "fr": "pas de changement de jambe"},
    # athlete cues (FaultRule.cue)
    "Hold the straight leg for 2-3 seconds before you bring it back": {
        "de": "Halte das gestreckte Bein 2-3 Sekunden, bevor du es zurückbringst",
        "fr": "Garde la jambe tendue 2 à 3 secondes avant de la ramener",
    },
    "Hold for 2-3 seconds, then return and switch legs": {
        "de": "Halte 2-3 Sekunden, dann zurück und Bein wechseln",
        "fr": "Tiens 2 à 3 secondes, puis reviens et change de jambe",
    },
    "Slow down: push the leg out slowly and under control": {
        "de": "Langsamer: strecke das Bein langsam und kontrolliert",
        "fr": "Plus lentement : tends la jambe doucement et avec contrôle",
    },
    "Straighten the leg fully: push through your heel": {
        "de": "Strecke das Bein ganz: schieb über die Ferse",
        "fr": "Tends complètement la jambe : pousse avec le talon",
    },
    "Keep your lower back on the floor: brace your belly": {
        "de": "Lass den unteren Rücken am Boden: Bauch anspannen",
        "fr": "Garde le bas du dos au sol : gaine le ventre",
    },
    "Keep the other leg still at 90 degrees": {
        "de": "Halte das andere Bein ruhig bei 90 Grad",
        "fr": "Garde l'autre jambe immobile à 90 degrés",
    },
    "Start from 90/90: hips and knees bent at right angles": {
        "de": "Starte aus 90/90: Hüfte und Knie im rechten Winkel",
        "fr": "Pars de 90/90 : hanches et genoux à angle droit",
    },
    "Switch legs after every rep": {
        "de": "Wechsle nach jeder Wiederholung das Bein",
        "fr": "Change de jambe à chaque répétition",
    },
    # the live coach (hold countdown, praise, set-up)
    "Hold": {"de": "Halten", "fr": "Tiens"},
    "Switch": {"de": "Wechseln", "fr": "Change"},
    "Good rep": {"de": "Gute Wiederholung", "fr": "Bonne répétition"},
    "one": {"de": "eins", "fr": "un"},
    "two": {"de": "zwei", "fr": "deux"},
    "three": {"de": "drei", "fr": "trois"},
    "four": {"de": "vier", "fr": "quatre"},
    "five": {"de": "fünf", "fr": "cinq"},
    "six": {"de": "sechs", "fr": "six"},
    "seven": {"de": "sieben", "fr": "sept"},
    "eight": {"de": "acht", "fr": "huit"},
    "nine": {"de": "neun", "fr": "neuf"},
    "Lie down in front of the camera, your whole body in view": {
        "de": "Leg dich vor die Kamera, der ganze Körper im Bild",
        "fr": "Allonge-toi devant la caméra, le corps entier dans l'image",
    },
    "Move the camera back so your whole body is in view": {
        "de": "Stell die Kamera weiter weg, damit der ganze Körper im Bild ist",
        "fr": "Recule la caméra pour que tout le corps soit dans l'image",
    },
    "Move the camera so your head and shoulders are in view": {
        "de": "Richte die Kamera so aus, dass Kopf und Schultern im Bild sind",
        "fr": "Place la caméra pour voir la tête et les épaules",
    },
    "Move the camera so your feet are in view": {
        "de": "Richte die Kamera so aus, dass die Füße im Bild sind",
        "fr": "Place la caméra pour voir les pieds",
    },
    "Turn the camera to film from your side": {
        "de": "Dreh die Kamera, sie soll dich von der Seite filmen",
        "fr": "Tourne la caméra pour filmer de côté",
    },
    "Lie on your back": {"de": "Leg dich auf den Rücken", "fr": "Allonge-toi sur le dos"},
    "Bring both legs to 90/90": {
        "de": "Bring beide Beine in 90/90",
        "fr": "Mets les deux jambes en 90/90",
    },
    "Ready: straighten one leg, hold, then switch": {
        "de": "Bereit: ein Bein strecken, halten, dann wechseln",
        "fr": "Prêt : tends une jambe, tiens, puis change",
    },
}


def check_language(language: str) -> str:
    """``language`` if it is one of :data:`LANGUAGES`; ``ValueError`` naming the choices."""
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    return language


def translate(text: str, language: str) -> str:
    """``text`` (English) in ``language``; English when there is no translation."""
    if language == DEFAULT_LANGUAGE:
        return text
    return _TRANSLATIONS.get(text, {}).get(language, text)


def fault_name(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The coach's name of fault ``code`` in ``language`` (``back lifts off the floor``)."""
    return translate(label_for(code), language)


def fault_cue(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The athlete's cue of fault ``code`` in ``language``."""
    return translate(cue_for(code), language)


def untranslated(language: str) -> list[str]:
    """English texts without a ``language`` translation (empty for a complete language)."""
    return sorted(t for t, tr in _TRANSLATIONS.items() if language not in tr)
