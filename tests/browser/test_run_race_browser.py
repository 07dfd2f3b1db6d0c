"""A run's output reaches the browser even when the next rerun comes as it ends
(ui.server.deliver_finished_runs), shown on a tiny app that makes the two meet every time."""

import time
from pathlib import Path

import pytest

from .conftest import open_app

PROBE_APP = Path(__file__).with_name("run_race_probe_app.py")


def answers_after_asking(page) -> str:
    """Press Ask; what the page says once it answers, or after 8 s (the run takes 1.5 s)."""
    before = page.locator(".st-key-answer").inner_text().strip()
    page.get_by_role("button", name="Ask").click()
    deadline = time.monotonic() + 8
    while (text := page.locator(".st-key-answer").inner_text().strip()) == before:
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return text


@pytest.mark.parametrize("fixed", [True, False], ids=["with-the-fix", "streamlit-alone"])
def test_the_answer_of_a_run_that_ends_as_a_timed_rerun_comes_is_shown(app_server, page, fixed):
    env = {"PROBE_DELIVER_FINISHED_RUNS": "1" if fixed else "0"}
    open_app(page, app_server(PROBE_APP, env))
    assert page.locator(".st-key-answer").inner_text().strip() == "answers=0"
    if fixed:
        assert answers_after_asking(page) == "answers=1"
        assert answers_after_asking(page) == "answers=2"  # and the page goes on as usual
    else:  # Streamlit 1.67 drops the run's output: if this fails, it no longer does
        assert answers_after_asking(page) == "answers=0"
