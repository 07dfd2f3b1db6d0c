"""Names people type (run names) shown as the plain text they are.

Streamlit reads Markdown in st.markdown, st.caption, st.toast, st.spinner, alerts and widget
labels: a run named `**BIG** [click me](http://example.com)` would show in bold with a live link
on every screen in the class. Wherever a name goes into such text, pass it through `plain`.
Tables (st.dataframe), selectbox options and charts show text as it is and need nothing.
"""

from __future__ import annotations

import re

MARKDOWN_SPECIALS = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
# Markdown turns web and e-mail addresses into links even when their punctuation is escaped; an
# invisible word joiner inside "http:", "www." and before "@" stops it.
WORD_JOINER = "\u2060"
ADDRESS_STARTS = re.compile(r"(?i)(https?|ftp|www|mailto)(?=[:.])|(?=@)")


def plain(name: str) -> str:
    """`name` for Markdown, so that it shows exactly as typed: every ASCII punctuation character
    gets a backslash (links, bold, emoji codes, colours, maths and HTML all need one), and
    addresses get an invisible word joiner so that they do not become links."""
    joined = ADDRESS_STARTS.sub(lambda found: (found.group(1) or "") + WORD_JOINER, str(name))
    return MARKDOWN_SPECIALS.sub(r"\\\1", joined)


def file_name(name: str, suffix: str) -> str:
    """A safe file name made from a run name: letters, digits, - and _ only."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "model"
    return f"{stem[:60]}{suffix}"
