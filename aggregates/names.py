"""How an operator looks a debtor up by name (αναζήτηση οφειλέτη με επωνυμία), §1.7.

A name and what is typed to find it are compared by their search keys: accents
and case ignored (``Παπαδόπουλος`` is found by ``παπαδοπουλ`` and ``ΠΑΠΑΔΟΠΟΥΛΟΣ``,
the final ``ς`` by ``σ``), runs of spaces as one.
"""

from __future__ import annotations

import unicodedata


def search_key(text: str) -> str:
    """The text without accents or case, its spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())
