"""The three-way merge never loses a line the user wrote without a conflict marker."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from codegen.merge import OURS_MARK, THEIRS_MARK, merge3

LINES = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "d\n", "e\n", "x = 1\n", "\n"]), max_size=12)


def _edit(data: st.DataObject, base: list[str]) -> list[str]:
    lines = list(base)
    for _ in range(data.draw(st.integers(0, 4))):
        action = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        position = data.draw(st.integers(0, len(lines)))
        new = data.draw(st.sampled_from(["user1\n", "user2\n", "gen1\n", "gen2\n", "a\n"]))
        if action == "insert":
            lines.insert(position, new)
        elif lines and position < len(lines):
            if action == "delete":
                del lines[position]
            else:
                lines[position] = new
    return lines


def test_examples() -> None:
    base = "import os\n\ndef f():\n    return 1\n"
    ours = "import os\n\ndef f():\n    # my note\n    return 1\n"
    theirs = "import os\nimport sys\n\ndef f():\n    return 1\n"
    assert merge3(base, ours, theirs).text == "import os\nimport sys\n\ndef f():\n    # my note\n    return 1\n"
    clash = merge3("x = 1\n", "x = 2\n", "x = 3\n")
    assert clash.conflicts == 1
    assert clash.text == f"{OURS_MARK}\nx = 2\n=======\nx = 3\n{THEIRS_MARK}\n"


@settings(max_examples=300, deadline=None)
@given(st.data(), LINES)
def test_no_user_line_is_lost(data: st.DataObject, base: list[str]) -> None:
    ours = _edit(data, base)
    theirs = _edit(data, base)
    result = merge3("".join(base), "".join(ours), "".join(theirs))
    merged = Counter(result.text.splitlines(keepends=True))
    for line, count in Counter(ours).items():
        added_by_user = count - Counter(base)[line]
        assert merged[line] >= added_by_user, (line, result.text)
    if result.conflicts == 0:
        assert OURS_MARK not in result.text
    assert merge3("".join(base), "".join(ours), "".join(base)).text == "".join(ours)
    assert merge3("".join(base), "".join(base), "".join(theirs)).text == "".join(theirs)
