"""Organisation names as people write them, from the capitals NHS England publishes.

NHS England's files give every practice and PCN name in capitals ("HORSEFAIR PRACTICE",
"DR KHARE'S SURGERY", "ST. PETER'S MED.CTR."). The published name stays stored, since it is
what the next import matches on; :func:`display_name` is only how a page shows it.

The rules, applied to each run of letters (a *word*; apostrophes inside a word belong to it,
while spaces, hyphens, full stops, slashes, brackets, commas and "&" separate words):

1. A name that already has a lower-case letter was written by a person: it is shown as it is.
2. Recognised abbreviations stay in capitals: NHS, PCN, GP, ICB, ICS, LMC, CIC, APMS, UK
   and the other entries of ``ABBREVIATIONS``, and any word with no vowel (a, e, i, o, u, y),
   which in these files is always letters standing for words ("PMS", "SWB", "HC", "BNSSG") or
   initials ("DR MK LAKHANI") -- except the usual contractions in ``CONTRACTIONS``, written
   with one capital: Dr, Drs, St, Rd, Ltd, Ctr, Hlth, Ptnr and the like. Plurals of
   abbreviations end in a lower-case "s": GPs, PCNs.
3. A single letter is an initial and stays a capital ("DR I M RAJA", "H/C").
4. A two-letter word is a pair of initials ("DR AC MILNER", "SA BAILEY") and stays in
   capitals, unless it is one of the two-letter words in ``TWO_LETTER_WORDS`` ("of", "Al",
   "De", "Jo" ...). "MC" after a name stands for "Medical Centre" and stays "MC".
5. Roman numerals from II to XXXIX stay in capitals ("PRACTICE II"); "I", "V" and "X" are
   capitals already by rule 3.
6. In a word written with digits, letters beside digits stay in capitals when there are one
   or two of them ("E12", "Y00352", "3W"), as in postcodes and codes; three or more are a word
   ("WEST4" becomes "West4"); an ordinal's ending is lower case ("4TH" becomes "4th").
7. Any other word has a capital first letter and lower case after it. After an apostrophe, a
   lone "S" is a possessive and lower case ("KING'S" becomes "King's"); anything longer is a
   surname's second part and starts with a capital ("O'CONNELL" becomes "O'Connell").
8. "Mc" followed by at least two letters takes a capital after it ("MCKENZIE" becomes
   "McKenzie"). "Mac" does not: "Macklin", "Machin" and "Macmillan" are written with one
   capital, and guessing which "Mac" names take a second one would be wrong as often as right.
9. Small words ("and", "of", "the", "at", "on", "in", "for", "by", "to", "upon", "with") are
   lower case inside a name after a space, and so are "under", "le" and "en" between hyphens
   ("Newcastle-under-Lyme"); the first word of the name, and the first word after an opening
   bracket or a spaced dash, start with a capital whatever they are.

The rules name kinds of words, never particular practices. What they cannot know: a
three-letter acronym with a vowel ("EMC", "NEL") reads as a word ("Emc", "Nel"), a surname
with no vowel ("NG") stays in capitals, and "P'SHIP" becomes "P'Ship".
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    {"NHS", "PCN", "GP", "ICB", "ICS", "LMC", "CIC", "APMS", "UK", "SAS", "ICO"}
)
# Plurals of abbreviations keep a lower-case "s".
PLURAL_ABBREVIATIONS = {"GPS": "GPs", "PCNS": "PCNs", "ICBS": "ICBs"}
# Abbreviations without a vowel written with one capital, as people write them.
CONTRACTIONS = {
    word.upper(): word
    for word in (
        "Dr",
        "Drs",
        "St",
        "Sts",
        "Rd",
        "Ltd",
        "Ctr",
        "Ctrs",
        "Cntr",
        "Cnt",
        "Hth",
        "Hlth",
        "Ptnr",
        "Ptnrs",
        "Prt",
        "Blvd",
        "Grp",
        "Spcl",
        "Mr",
        "Mrs",
        "Ms",
        "Sq",
    )
}
TWO_LETTER_WORDS = frozenset(
    {"OF", "AT", "ON", "IN", "TO", "BY", "MY", "UP", "DO", "GO", "NO", "SO", "WE", "US", "OM"}
    | {"AL", "DE", "DU", "LA", "LE", "EL", "JO", "OX"}
)
SMALL_WORDS = frozenset({"AND", "OF", "THE", "AT", "ON", "IN", "FOR", "BY", "TO", "UPON", "WITH"})
SMALL_WORDS_BETWEEN_HYPHENS = frozenset({"UNDER", "LE", "EN"})
ORDINAL = re.compile(r"^(\d+)(ST|ND|RD|TH)$")
LETTERS_OR_DIGITS = re.compile(r"[A-Z]+|[0-9]+|'")
ROMAN_NUMERAL = re.compile(r"^X{0,3}(IX|IV|V?I{0,3})$")
VOWELS = frozenset("AEIOUY")
# A word: letters and digits, with apostrophes inside (KING'S, O'CONNELL).
WORD = re.compile(r"[A-Z0-9]+(?:'[A-Z0-9]+)*", re.IGNORECASE)


def display_name(published: str) -> str:
    """The name as people write it; see the module's rules."""
    if any(character.islower() for character in published):
        return published
    pieces: list[str] = []
    position = 0
    for match in WORD.finditer(published):
        before = published[position : match.start()]
        pieces.append(before)
        after = published[match.end() : match.end() + 1]
        starts_phrase = _starts_phrase("".join(pieces))
        between_hyphens = before.endswith("-") and after == "-"
        after_space = before.endswith(" ")
        pieces.append(_word(match.group(), starts_phrase, after_space, between_hyphens))
        position = match.end()
    pieces.append(published[position:])
    return "".join(pieces)


def is_kept_in_capitals(word: str) -> bool:
    """Whether rules 2 to 6 keep this word (as published, in capitals) in capitals."""
    upper = word.upper()
    if any(character.isdigit() for character in upper):
        return ORDINAL.match(upper) is None and all(
            len(run) <= 2 for run in re.findall("[A-Z]+", upper)
        )
    if upper in CONTRACTIONS or upper in PLURAL_ABBREVIATIONS:
        return False
    if upper in ABBREVIATIONS or len(upper) == 1:
        return True
    if not VOWELS & set(upper.replace("'", "")):
        return True
    if len(upper) == 2 and upper not in TWO_LETTER_WORDS:
        return True
    return len(upper) > 1 and ROMAN_NUMERAL.match(upper) is not None


def is_recognised_abbreviation(shown_word: str) -> bool:
    """Whether a word as :func:`display_name` shows it may hold a run of capitals."""
    if any(character.isdigit() for character in shown_word):
        return all(len(run) <= 2 for run in re.findall("[A-Z]+", shown_word))
    return shown_word in PLURAL_ABBREVIATIONS.values() or is_kept_in_capitals(shown_word)


def _starts_phrase(text_before: str) -> bool:
    stripped = text_before.rstrip()
    return stripped == "" or stripped.endswith("(") or text_before.endswith(" - ")


def _word(word: str, starts_phrase: bool, after_space: bool, between_hyphens: bool) -> str:
    upper = word.upper()
    ordinal = ORDINAL.match(upper)
    if ordinal:
        return ordinal.group(1) + ordinal.group(2).lower()
    if is_kept_in_capitals(upper):
        return upper
    if any(character.isdigit() for character in upper):
        return "".join(
            run if len(run) <= 2 or run.isdigit() else run.capitalize()
            for run in LETTERS_OR_DIGITS.findall(upper)
        )
    if upper in CONTRACTIONS:
        return CONTRACTIONS[upper]
    if upper in PLURAL_ABBREVIATIONS:
        return PLURAL_ABBREVIATIONS[upper]
    if not starts_phrase and (
        (after_space and upper in SMALL_WORDS)
        or (between_hyphens and upper in SMALL_WORDS_BETWEEN_HYPHENS | SMALL_WORDS)
    ):
        return upper.lower()
    return "'".join(_apostrophe_part(part, index) for index, part in enumerate(upper.split("'")))


def _apostrophe_part(part: str, index: int) -> str:
    if index > 0 and part == "S":
        return "s"
    if part.startswith("MC") and len(part) > 3:
        return "Mc" + part[2:].capitalize()
    return part.capitalize()
