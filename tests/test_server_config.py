"""The safe defaults for a classroom server in .streamlit/config.toml.

A real server using them is tested in tests/browser/test_server_config_browser.py.

`streamlit run` reads `.streamlit/config.toml` from the folder it starts in: the repository
root, as `tools.browser.start_app` (and the README) start it.
"""

from pathlib import Path

import tomllib

CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"
SAFE = {
    "server": {
        "enableXsrfProtection": True,  # no cross-site uploads from other pages
        "maxUploadSize": 25,  # megabytes (the Draw page reads up to 5 MB and says so above)
        "enableStaticServing": False,  # nothing served from a static/ folder
        "fileWatcherType": "none",  # no reloading when files change
    },
    "browser": {"gatherUsageStats": False},
    "client": {"toolbarMode": "viewer"},  # no developer menu for students
    # not safety but speed: no full garbage collection after every run (see the README's
    # load figures: with 30 sessions it made p95 ~2 s instead of ~0.3 s)
    "runner": {"postScriptGC": False},
}


def test_config_holds_the_safe_defaults():
    config = tomllib.loads(CONFIG.read_text())
    for section, options in SAFE.items():
        for name, value in options.items():
            assert config.get(section, {}).get(name) == value, f"{section}.{name}"


def test_every_setting_is_one_streamlit_knows():
    from streamlit import config as streamlit_config

    known = streamlit_config.get_config_options()

    def names(table: dict, prefix: str = ""):  # [theme.light] is a table inside [theme]
        for name, value in table.items():
            if isinstance(value, dict):
                yield from names(value, f"{prefix}{name}.")
            else:
                yield f"{prefix}{name}"

    settings = list(names(tomllib.loads(CONFIG.read_text())))
    assert "theme.light.primaryColor" in settings  # the nested tables are read
    for name in settings:
        assert name in known, f"{name} is not a Streamlit option"
