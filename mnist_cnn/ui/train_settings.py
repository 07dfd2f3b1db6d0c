"""The Train page's settings: the preset buttons' callback, one input per hyperparameter, the
class's drawings option and the table of the network the settings build."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mnist_cnn.classdata import HELD_OUT_EVERY, ClassDigits
from mnist_cnn.config import FIELD_TYPES, GROUPS, PRESETS, SETTINGS, SettingError, TrainConfig
from mnist_cnn.handwriting import HandwritingMissing, handwriting_dir
from mnist_cnn.model import build_model, describe_model
from mnist_cnn.ui.class_digits import teach_section
from mnist_cnn.ui.models import active_record

LOADED = "preset-loaded"  # session state: the preset the settings came from
# session state: how many times the settings were filled from a preset (part of their keys)
FILLS = "settings-fills"


def setting_key(name: str) -> str:
    """The input's key. Filling the settings from a preset makes new inputs (a new key), so any
    value a browser still holds for the old ones is ignored: a preset clicked and Start at once,
    before the browser has drawn the preset's values, trains the preset (it used to train the
    old values under the preset's name)."""
    return f"setting-{name}-{st.session_state.get(FILLS, 0)}"


def load_preset() -> None:
    """The preset buttons' callback: fill every setting from the chosen preset.

    Clicking the selected preset again would unselect it; it stays selected and nothing changes
    (to go back to a preset's values there is the "Undo my changes" button).
    """
    chosen = st.session_state["preset"]
    if chosen is None:
        st.session_state["preset"] = st.session_state[LOADED]
        return
    fill_settings(chosen)


def fill_settings(preset: str) -> None:
    """Every setting from the preset: new inputs, which start at the preset's values."""
    st.session_state[LOADED] = preset
    st.session_state[FILLS] = st.session_state.get(FILLS, 0) + 1


def settings_from_session() -> dict:
    """The settings as the session holds them now: the loaded preset's (`seed` on a first visit,
    and after another page, as Streamlit forgets inputs not drawn) where not changed."""
    preset = PRESETS[st.session_state.setdefault(LOADED, "seed")]
    st.session_state.setdefault("preset", st.session_state[LOADED])
    return {
        name: st.session_state.get(setting_key(name), getattr(preset, name)) for name in SETTINGS
    }


def hyperparameter_inputs() -> tuple[dict, dict]:
    """One input per TrainConfig field, grouped as mnist_cnn.config.SETTINGS says. Returns the
    values entered, and an empty slot under each input for a message about it."""
    values, slots = {}, {}
    preset = PRESETS[st.session_state[LOADED]]  # what new inputs start at (set by the page)
    for column, group in zip(st.columns(len(GROUPS)), GROUPS, strict=True):
        with column:
            st.subheader(group)
            for name, described in SETTINGS.items():
                if described.group != group:
                    continue
                label, key = f"{described.label} ({name})", setting_key(name)
                kind = FIELD_TYPES[name]
                if described.choices:
                    values[name] = st.selectbox(
                        label,
                        described.choices,
                        index=described.choices.index(getattr(preset, name)),
                        key=key,
                        help=described.help,
                    )
                elif kind is bool:
                    values[name] = st.checkbox(
                        label, getattr(preset, name), key=key, help=described.help
                    )
                else:
                    values[name] = st.number_input(
                        label,
                        kind(described.low),
                        kind(described.high),
                        getattr(preset, name),
                        step=kind(described.step),
                        key=key,
                        help=described.help,
                        format="%.5f" if name == "learning_rate" else None,
                    )
                slots[name] = st.empty()
    return values, slots


def checked_config(values: dict, slots: dict) -> TrainConfig | None:
    """The settings as a TrainConfig; None, with the reason under the field it is about, if they
    cannot work."""
    try:
        config = TrainConfig(**values)
        if config.real_digits:
            handwriting_dir()  # this server must have the pen-written digits
        return config
    except SettingError as error:
        described = SETTINGS[error.name]
        slots[error.name].error(f":material/warning: {described.label} ({error.name}): {error}")
    except HandwritingMissing:
        slots["real_digits"].error(
            ":material/warning: This server has no pen-written digits to learn from: untick this setting, or "
            "start the app with MNIST_CNN_HANDWRITING_DIR=the folder holding them (see the "
            "README)."
        )
    except ValueError as error:  # not about one field
        st.error(f"These settings cannot work: {error}")
    return None


def class_digits_option() -> None:
    """Whether to add the class's own drawings to the training images, and how many times each
    (train_start.start_clicked reads both from the session state)."""
    entries = ClassDigits().entries()
    trainable = sum(not entry.held_out for entry in entries)
    use = st.checkbox(
        "Add the class's own drawings",
        key="use-class-digits",
        disabled=not trainable,
        help="Drawings saved on the Draw page join the training images, so the network learns "
        f"your class's handwriting. Every {HELD_OUT_EVERY}th drawing is held out (never trained "
        "on) to measure that on the Class digits page.",
    )
    if not trainable:
        st.caption("No class drawings to add yet: save some on the Draw page.")
        return
    repeat = st.number_input(
        "Repeat each drawing",
        1,
        100,
        10,
        key="class-repeat",
        disabled=not use,
        help="A few drawings among thousands of MNIST images count for little: repeat them.",
    )
    st.caption(
        f"Adds {trainable} drawings × {repeat} = {trainable * repeat:,} training images; "
        f"{len(entries) - trainable} held-out drawings are never trained on."
    )
    # The quicker way: no new network, the model in use learns them (its progress: at the top).
    teach_section(active_record(), entries, live=False)


@st.cache_data(max_entries=32)
def architecture_table(config_values: tuple) -> pd.DataFrame:
    model = build_model(TrainConfig(**dict(config_values)))
    rows = [
        {
            "layer": row.name,
            "type": row.kind,
            "output shape": " × ".join(map(str, row.output_shape)),
            "parameters": row.parameters,
        }
        for row in describe_model(model)
    ]
    return pd.DataFrame(rows)


def settings_tab() -> tuple[TrainConfig | None, dict]:
    """Every setting, the class's drawings, and the network they build. Returns the settings as
    a TrainConfig (None when one cannot work: the message is under it), and as entered."""
    values, slots = hyperparameter_inputs()
    class_digits_option()  # read by start_clicked from the session state
    config = checked_config(values, slots)
    if config is not None:
        with st.expander("The network these settings build", expanded=True):
            table = architecture_table(tuple(config.to_dict().items()))
            st.dataframe(table, hide_index=True)
            st.caption(f"{table.parameters.sum():,} weights to learn (parameters).")
    return config, values
