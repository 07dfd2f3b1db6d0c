"""The Train page's runs list: every run with its status and scores, and the buttons to use,
download, rename or delete one (each checked by mnist_cnn.permissions through `classroom()`)."""

from __future__ import annotations

import streamlit as st

from mnist_cnn.permissions import NotAllowed
from mnist_cnn.storage import SHIPPED_ID, ModelRecord
from mnist_cnn.ui.classroom import (
    can_switch_for_everyone,
    classroom,
    is_teacher,
    me,
    model_for_me,
    use_model,
)
from mnist_cnn.ui.models import get_store
from mnist_cnn.ui.names import file_name
from mnist_cnn.ui.train_parts import runs_table


def use_button(record: ModelRecord, active_id: str, key: str = "activate") -> None:
    """The button that makes `record` the model in use (the class's, or this browser's own)."""
    for_everyone = can_switch_for_everyone()
    if st.button(
        "Use this model" if for_everyone else "Use this model (just me)",
        disabled=not record.has_model or record.id == active_id,
        key=key,
        help="Every page uses it, in every browser."
        if for_everyone
        else "Only this browser uses it; the teacher chooses the model for the class.",
    ):
        use_model(record.id)
        st.rerun()


def rename_and_delete(record: ModelRecord) -> None:
    teacher = is_teacher()
    rename, delete = st.columns(2)
    with rename:
        new_name = st.text_input(
            "New name", record.name, key=f"rename-{record.id}", max_chars=60,
            disabled=record.read_only or not teacher,
        )  # fmt: skip
        if st.button("Rename", disabled=record.read_only or not teacher, key="rename"):
            try:
                classroom().rename(record.id, new_name, me())
                st.rerun()
            except (ValueError, NotAllowed) as error:  # a bad name; not the teacher
                st.error(str(error))
    with delete:
        sure = st.checkbox(
            "I am sure", key=f"sure-{record.id}", disabled=record.read_only or not teacher
        )
        if st.button("Delete", disabled=record.read_only or not sure, key="delete"):
            try:
                classroom().delete(record.id, me())
                st.rerun()
            except (ValueError, NotAllowed) as error:  # a run still training; not the teacher
                st.error(str(error))
    if record.id == SHIPPED_ID:
        st.caption("The shipped model cannot be renamed or deleted.")
    elif not teacher:
        st.caption("Only the teacher can rename or delete runs.")


def runs_list() -> None:
    store = get_store()
    records = store.list()
    active_id = model_for_me(store)
    with st.container(key="runs"):
        st.dataframe(
            runs_table(records, active_id),
            hide_index=True,
            column_config={"test accuracy": st.column_config.NumberColumn(format="percent")},
        )
    labels = {record.id: f"{record.name} ({record.status})" for record in records}
    chosen_id = st.selectbox(
        "Choose a model", list(labels), format_func=labels.get, key="chosen-run"
    )
    # a label shown before a rename can come back instead of an id: then the first run
    record = next((record for record in records if record.id == chosen_id), records[0])
    activate, download = st.columns(2)
    with activate:
        use_button(record, active_id)
    with download:
        if record.has_model:
            st.download_button(
                "Download .keras",
                record.model_path.read_bytes(),
                file_name=file_name(record.name, ".keras"),
                key="download",
            )
    rename_and_delete(record)
