"""The Metrics page: how well a model reads the 10,000 MNIST test digits, and where it goes wrong.

The page script is mnist_cnn/ui/pages/metrics.py; everything it does is here. Chart colours
follow the theme (style.py), and charts grow in presenter mode.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from mnist_cnn.data import DataError, MnistData, load_mnist
from mnist_cnn.reports import Report, model_report
from mnist_cnn.storage import ModelFileError, ModelRecord
from mnist_cnn.ui.classroom import model_for_me
from mnist_cnn.ui.models import get_store, model_label, sidebar
from mnist_cnn.ui.names import plain
from mnist_cnn.ui.style import chart_scale, is_dark, text_colour
from mnist_cnn.ui.widgets import enlarge

DIGITS = list(range(10))
ANY = "any"
SHOWN_AT_MOST = 40  # digits shown in a gallery
FONT_SIZE = 18  # chart text, readable on a projector (larger still in presenter mode)
MATRIX_SIZE = 520  # pixels: the confusion matrix, larger in presenter mode
CELL_PANEL_WIDTH = 360  # pixels: the chosen cell's digits, beside the matrix when there is room
NOT_SCORED = "Shown once the model is scored: see the message above."


def load_test_images() -> MnistData | None:
    try:
        with st.spinner("Loading the MNIST test images…"):
            return load_mnist()
    except DataError as error:
        st.error(f"**MNIST test images not found.** {error}")
        return None


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def choose_model(records: list[ModelRecord], active_id: str) -> ModelRecord:
    for record in records:
        if record.has_model and record.error:  # damaged files: say so, offer the others
            st.warning(f"“{plain(record.name)}” is left out: {record.error}")
    usable = [record for record in records if record.has_model and not record.error]
    ids = [record.id for record in usable]
    labels = {record.id: model_label(record) for record in usable}
    index = ids.index(active_id) if active_id in ids else 0
    # the key follows the active model, so switching it in the sidebar shows it here
    chosen = st.selectbox(
        "Model", ids, index=index, format_func=labels.get, key=f"metrics-model-{active_id}"
    )
    return next(record for record in usable if record.id == chosen)


def score(record: ModelRecord, data: MnistData) -> Report | None:
    try:
        with st.spinner(f"Scoring “{plain(record.name)}” on 10,000 test images…"):
            return model_report(record, data, get_store().root)
    except ModelFileError as error:
        st.error(
            f"**The model “{plain(record.name)}” could not be scored.** {error}\n\n"
            "Choose another model, or train this one again."
        )
        return None


def show_summary(record: ModelRecord, report: Report) -> None:
    parameters = record.parameters or report.parameters
    with st.container(key="metrics-summary", horizontal=True):
        st.metric("Test accuracy", f"{100 * report.accuracy:.2f}%", border=True)
        st.metric("Test loss", f"{report.loss:.4f}", border=True)
        st.metric("Errors", f"{report.errors:,} of {len(report.predicted):,}", border=True)
        st.metric("Parameters", f"{parameters:,}" if parameters else "—", border=True)
        st.metric("Training time", format_duration(record.train_seconds), border=True)


def show_digits(indices, report: Report, data: MnistData, key: str) -> None:
    """Test digits, enlarged, each captioned "true 4 → read 9 · 97%"."""
    images = [enlarge(data.test_images[index] / 255.0, scale=5, grid=False) for index in indices]
    captions = [
        f"true {data.test_labels[index]} → read {report.predicted[index]} · "
        f"{int(100 * report.confidence[index])}%"
        for index in indices
    ]
    with st.container(key=key):
        if images:
            st.image(images, caption=captions, width=140)


def _pick_cell() -> None:
    """A click on the heatmap chooses that cell in the two selectboxes below it."""
    try:
        point = st.session_state["confusion-chart"].selection["cell"][0]
        st.session_state["cell-true"] = int(point["actual"])
        st.session_state["cell-predicted"] = int(point["predicted"])
    except (KeyError, IndexError, TypeError, ValueError):
        pass  # a click beside the cells clears the chart's selection: keep the chosen cell


# The heatmap's colours in each theme: cells read right, cells with no mistakes, the lines
# between cells and the frame around the chosen cell. Mistakes go from light to dark red.
MATRIX_COLOURS = {
    "light": {"right": "#cfe8cf", "empty": "#ffffff", "empty ink": "#9a9a9a", "lines": "#e0e0e0",
              "frame": "#1f4e9c"},
    "dark": {"right": "#1f4d2b", "empty": "#0e1117", "empty ink": "#8a8f98", "lines": "#3a3d45",
             "frame": "#7fb0ff"},
}  # fmt: skip


def matrix_colours() -> dict[str, str]:
    return MATRIX_COLOURS["dark" if is_dark() else "light"]


def cell_colours(count: int, correct: bool, most_errors: int, colours: dict) -> tuple[str, str]:
    """(fill, ink) of a heatmap cell: green when read right, light to dark red for mistakes."""
    if correct:
        return colours["right"], text_colour()
    if count == 0:
        return colours["empty"], colours["empty ink"]
    share = count / most_errors
    light, dark = np.array([252, 187, 161]), np.array([165, 15, 21])
    red, green, blue = (light + share * (dark - light)).astype(int)
    return f"#{red:02x}{green:02x}{blue:02x}", "white" if share > 0.6 else "black"


def confusion_chart(matrix: list[list[int]], chosen: tuple[int, int]) -> alt.LayerChart:
    most_errors = max(
        [1]
        + [matrix[true][predicted] for true in DIGITS for predicted in DIGITS if true != predicted]
    )
    # "actual", not "true": `datum.true` is not a valid Vega expression
    table = pd.DataFrame(
        [
            {"actual": true, "predicted": predicted, "count": matrix[true][predicted]}
            for true in DIGITS
            for predicted in DIGITS
        ]
    )
    colours = matrix_colours()
    table[["fill", "ink"]] = [
        cell_colours(row.count, row.actual == row.predicted, most_errors, colours)
        for row in table.itertuples()
    ]
    font_size, size = FONT_SIZE * chart_scale(), round(MATRIX_SIZE * chart_scale())
    cell = alt.selection_point(name="cell", fields=["actual", "predicted"], on="click")
    base = alt.Chart(table).encode(
        x=alt.X("predicted:O", title="predicted digit", axis=alt.Axis(orient="top", labelAngle=0)),
        y=alt.Y("actual:O", title="true digit"),
        tooltip=[
            alt.Tooltip("actual:O", title="true digit"),
            alt.Tooltip("predicted:O", title="predicted"),
            alt.Tooltip("count:Q", title="test images"),
        ],
    )
    cells = (
        base.mark_rect(stroke=colours["lines"], strokeWidth=1, cursor="pointer")
        .encode(fill=alt.Fill("fill:N", scale=None))
        .add_params(cell)
    )
    numbers = base.mark_text(fontSize=font_size, cursor="pointer").encode(
        text="count:Q", color=alt.Color("ink:N", scale=None)
    )
    frame = base.mark_rect(
        fill="transparent", stroke=colours["frame"], strokeWidth=4
    ).transform_filter(f"datum.actual == {chosen[0]} && datum.predicted == {chosen[1]}")
    return (
        alt.layer(cells, numbers, frame)
        .properties(width=size, height=size)
        .configure_axis(labelFontSize=font_size, titleFontSize=font_size, labelPadding=6)
    )


def show_confusion(report: Report, data: MnistData) -> None:
    if "cell-true" not in st.session_state:
        true, predicted = report.most_confused[0][:2] if report.most_confused else (0, 0)
        st.session_state["cell-true"], st.session_state["cell-predicted"] = true, predicted
    chosen = (st.session_state["cell-true"], st.session_state["cell-predicted"])
    st.caption(
        "Rows: the true digit. Columns: what the model read. Green: read right. "
        "Red: mistakes, darker for more. Click a cell to see its digits."
    )
    # The matrix and the chosen cell's digits side by side, or one under the other when they do
    # not fit (presenter mode, narrow windows); on a phone the matrix scrolls inside its box.
    with st.container(horizontal=True, wrap=True, gap="medium"):
        with st.container(key="confusion-box", width="content"):
            st.altair_chart(
                confusion_chart(report.confusion_matrix, chosen),
                key="confusion-chart",
                on_select=_pick_cell,
                width="content",
            )
        cell_column = st.container(width=CELL_PANEL_WIDTH)
    with cell_column:
        left, right = st.columns(2)
        true = left.selectbox("True digit", DIGITS, key="cell-true")
        predicted = right.selectbox("Predicted digit", DIGITS, key="cell-predicted")
        labels, guesses = data.test_labels, np.asarray(report.predicted)
        confidence = np.asarray(report.confidence)
        indices = np.flatnonzero((labels == true) & (guesses == predicted))
        if true == predicted:
            indices = indices[np.argsort(confidence[indices], kind="stable")]
            note = "read right; the least sure first"
        else:
            indices = indices[np.argsort(-confidence[indices], kind="stable")]
            note = "read wrongly; the most confident mistakes first"
        if len(indices) == 0:
            st.markdown(f"No test image of a {true} was read as {predicted}.")
        else:
            images = "test image" if len(indices) == 1 else "test images"
            st.markdown(f"**{len(indices):,}** {images} of a {true} read as {predicted} ({note}).")
        show_digits(indices[:SHOWN_AT_MOST], report, data, key="cell-digits")


def show_per_class(report: Report) -> None:
    table = pd.DataFrame(report.per_class).rename(columns={"f1": "F1", "support": "test images"})
    measures = ["precision", "recall", "F1"]
    percent = st.column_config.NumberColumn(format="%.2f%%")
    left, right = st.columns([1, 1], gap="large")
    left.container(key="per-class").dataframe(
        table.assign(**{name: 100 * table[name] for name in measures}),
        hide_index=True,
        height=35 * (len(table) + 1) + 3,  # every digit, no scrolling
        column_config={name: percent for name in measures},
    )
    long = table.melt(id_vars="digit", value_vars=measures, var_name="measure")
    lowest = max(0.0, float(np.floor(long["value"].min() * 100 - 1) / 100))
    font_size = FONT_SIZE * chart_scale()
    bars = (
        alt.Chart(long, height=round(360 * chart_scale()))
        .mark_bar()
        .encode(
            x=alt.X("digit:O", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("measure:N", sort=measures),
            y=alt.Y(
                "value:Q",
                title=None,
                scale=alt.Scale(domain=[lowest, 1], clamp=True, nice=False),
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color(
                "measure:N", sort=measures, legend=alt.Legend(orient="top", title=None)
            ),
            tooltip=["digit", "measure", alt.Tooltip("value:Q", format=".2%")],
        )
        .configure_axis(labelFontSize=font_size, titleFontSize=font_size)
        .configure_legend(labelFontSize=font_size)
    )
    right.altair_chart(bars, width="stretch")
    right.caption(
        f"The axis starts at {100 * lowest:.0f}% so small differences show. "
        "Precision: of the images read as a digit, the share that are it. "
        "Recall: of the images of a digit, the share read as it. F1: both in one number."
    )
    st.subheader("Most confused digits")
    pairs = report.most_confused
    if not pairs:
        st.markdown("No mistakes at all.")
    for true, predicted, count in pairs:
        st.markdown(f"- **{true}** read as **{predicted}**: {count} time{'s' if count > 1 else ''}")


def show_gallery(report: Report, data: MnistData) -> None:
    left, right, _ = st.columns([1, 1, 3])
    true = left.selectbox("True digit", [ANY, *DIGITS], key="gallery-true")
    predicted = right.selectbox("Read as", [ANY, *DIGITS], key="gallery-predicted")
    matches = [
        mistake["index"]
        for mistake in report.misclassified  # already the most confident first
        if true in (ANY, data.test_labels[mistake["index"]])
        and predicted in (ANY, mistake["predicted"])
    ]
    shown = min(len(matches), SHOWN_AT_MOST)
    if not matches:
        st.markdown("No mistakes match. Choose “any” for either digit to see more.")
    else:
        st.markdown(
            f"**{len(matches):,}** mistakes match; showing the {shown} the model was surest of."
        )
    show_digits(matches[:SHOWN_AT_MOST], report, data, key="gallery")


def curves_chart(history: pd.DataFrame, measure: str) -> alt.Chart:
    """`measure` (loss or accuracy) per epoch, on the training and the validation images."""
    names = {measure: "training", f"val_{measure}": "validation"}
    curves = history[[name for name in names if name in history]].rename(columns=names)
    long = curves.reset_index().melt(id_vars="epoch", var_name="images", value_name=measure)
    scale = chart_scale()
    return (
        alt.Chart(long, height=round(280 * scale))
        .mark_line(point=True, strokeWidth=3)
        .encode(
            x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y(f"{measure}:Q", scale=alt.Scale(zero=False)),
            color=alt.Color("images:N", legend=alt.Legend(orient="top", title=None)),
            tooltip=["epoch", "images", alt.Tooltip(f"{measure}:Q", format=".4f")],
        )
        .configure_axis(labelFontSize=14 * scale, titleFontSize=FONT_SIZE * scale)
        .configure_legend(labelFontSize=FONT_SIZE * scale)
    )


def show_training(record: ModelRecord) -> None:
    try:
        history = pd.DataFrame(record.history, dtype=float)
    except (ValueError, TypeError):
        history = pd.DataFrame()
    left, right = st.columns(2, gap="large")
    if history.empty:
        left.info("No training history was recorded for this model.")
    else:
        history.index = pd.RangeIndex(1, len(history) + 1, name="epoch")
        with left:
            st.markdown("**Loss per epoch** (lower is better)")
            st.altair_chart(curves_chart(history, "loss"), width="stretch")
            st.markdown("**Accuracy per epoch** (higher is better)")
            st.altair_chart(curves_chart(history, "accuracy"), width="stretch")
    settings = {
        **(record.config.to_dict() if record.config else {}),
        "epochs completed": record.epochs_completed,
        "training time": format_duration(record.train_seconds),
        "created": record.created_at,
    }
    table = pd.DataFrame({"setting": list(settings), "value": [str(v) for v in settings.values()]})
    with right:
        st.markdown("**Hyperparameters**")
        st.container(key="hyperparameters").dataframe(
            table, hide_index=True, height=35 * (len(table) + 1) + 3
        )


def show_comparison(records: list[ModelRecord]) -> None:
    scored = [record for record in records if record.test_accuracy is not None]
    if not scored:
        st.info("No model has a test accuracy yet.")
        return
    table = pd.DataFrame(
        {
            "name": [record.name for record in scored],
            "test accuracy": [record.test_accuracy for record in scored],
            "training time (s)": [record.train_seconds for record in scored],
            "parameters": [record.parameters for record in scored],
            "status": [record.status for record in scored],
        }
    )
    st.container(key="comparison").dataframe(
        table,
        hide_index=True,
        column_config={
            "test accuracy": st.column_config.NumberColumn(format="percent"),
            "training time (s)": st.column_config.NumberColumn(format="%.1f"),
            "parameters": st.column_config.NumberColumn(format="localized"),
        },
    )
    scale = chart_scale()
    points = (  # outlined in the theme's text colour: the dots show on light and dark
        alt.Chart(table.dropna(subset=["training time (s)"]), height=round(400 * scale))
        .mark_circle(opacity=0.9, stroke=text_colour(), strokeWidth=1.5)
        .encode(
            x=alt.X("training time (s):Q", scale=alt.Scale(zero=False, padding=40)),
            y=alt.Y(
                "test accuracy:Q",
                scale=alt.Scale(zero=False, padding=40),
                axis=alt.Axis(format="%"),
            ),
            size=alt.Size("parameters:Q", scale=alt.Scale(range=[100 * scale, 1500 * scale])),
            color=alt.Color("parameters:Q", scale=alt.Scale(scheme="viridis")),
            tooltip=[
                "name",
                alt.Tooltip("test accuracy:Q", format=".2%"),
                alt.Tooltip("training time (s):Q", format=".1f"),
                alt.Tooltip("parameters:Q", format=","),
            ],
        )
        .configure_axis(labelFontSize=FONT_SIZE * scale, titleFontSize=FONT_SIZE * scale)
        .configure_legend(labelFontSize=14 * scale, titleFontSize=14 * scale)
    )
    st.altair_chart(points, width="stretch")
    st.caption("Each dot is a saved model: up is more accurate, left trained faster.")


def page() -> None:
    sidebar()
    store = get_store()
    records = store.list()
    st.title("Model metrics")
    record = choose_model(records, model_for_me(store))
    data = load_test_images()
    report = score(record, data) if data is not None else None
    if report is not None:
        show_summary(record, report)
    confusion_tab, per_digit_tab, mistakes_tab, training_tab, models_tab = st.tabs(
        ["Confusion matrix", "Per digit", "Mistakes", "Training run", "All models"]
    )
    with confusion_tab:
        if report is None:
            st.info(NOT_SCORED)
        else:
            show_confusion(report, data)
    with per_digit_tab:
        if report is None:
            st.info(NOT_SCORED)
        else:
            show_per_class(report)
    with mistakes_tab:
        if report is None:
            st.info(NOT_SCORED)
        else:
            show_gallery(report, data)
    with training_tab:
        show_training(record)
    with models_tab:
        show_comparison(records)
