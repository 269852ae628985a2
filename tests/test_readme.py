"""The README's quick start runs and reaches the verdicts it shows."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _quick_start():
    """The quick start's code block and the output block that follows it."""
    section = README.read_text().split("## Quick start", 1)[1]
    code, output = re.findall(r"```(?:python|text)\n(.*?)```", section, flags=re.S)[:2]
    return code, output.splitlines()


def test_readme_quick_start_prints_the_verdicts_it_shows():
    code, shown = _quick_start()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(README), "exec"), {})
    printed = printed.getvalue().splitlines()
    # the scores' last digits depend on the CPU's kernels; the predictions and
    # the shape of what is printed do not
    assert printed[0] == shown[0]
    assert len(printed) == len(shown)
