"""Names as keys: party, nationality, batch and an exchange's parties are one key per name.

A name is stored in Unicode NFKC with its blanks folded, so that a fullwidth "S" is "S" and
"Thai" with a combining mark is the composed letter; a name holding a character that shows
nothing or turns the text around is refused (drafts), and filters read names the same way.
"""

from __future__ import annotations

import unicodedata

# Format (zero-width spaces and joiners, bidirectional controls), control, surrogate,
# private-use and unassigned code points; variation selectors and Hangul fillers besides.
HIDDEN = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})
FILLERS = frozenset(
    [chr(c) for c in range(0xFE00, 0xFE10)] + ["\u115f", "\u1160", "\u3164", "\uffa0"]
)


def normal(name: str) -> str:
    """A name as it is stored and matched: NFKC, blanks folded to single spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


def invisible(name: str) -> str | None:
    """The first character of a name that shows nothing or reorders the text around it."""
    for character in name:
        if unicodedata.category(character) in HIDDEN or character in FILLERS:
            return character
    return None


def described(character: str) -> str:
    """A character as a problem names it: U+200B (ZERO WIDTH SPACE)."""
    return f"U+{ord(character):04X} ({unicodedata.name(character, 'a control')})"
