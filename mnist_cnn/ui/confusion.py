"""The Metrics page's confusion matrix: a heatmap whose cells can be clicked, its colours in
each theme (every number at WCAG AA contrast on its cell), and its numbers as a table."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from mnist_cnn.ui.style import chart_scale, is_dark, text_colour

DIGITS = list(range(10))
MATRIX_SIZE = 520  # pixels: the confusion matrix, larger in presenter mode

# The heatmap's colours in each theme: cells read right, cells with no mistakes, the lines
# between cells and the frame around the chosen cell. Mistakes go from light to dark red. Every
# number reads at 4.5:1 or more on its cell (WCAG AA).
MATRIX_COLOURS = {
    "light": {"right": "#cfe8cf", "empty": "#ffffff", "empty ink": "#6b6b6b", "lines": "#e0e0e0",
              "frame": "#1f4e9c"},
    "dark": {"right": "#1f4d2b", "empty": "#0e1117", "empty ink": "#a3a8b0", "lines": "#3a3d45",
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
    return f"#{red:02x}{green:02x}{blue:02x}", "white" if luminance(
        red, green, blue
    ) < 0.179 else "black"


def luminance(red: int, green: int, blue: int) -> float:
    """WCAG's relative luminance of a colour (0 black, 1 white). Below 0.179 white text has the
    better contrast, above it black; either way at least 4.58:1."""
    linear = [
        c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        for c in (red / 255, green / 255, blue / 255)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def confusion_chart(
    matrix: list[list[int]], chosen: tuple[int, int], font_size: float
) -> alt.LayerChart:
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
    font_size, size = font_size * chart_scale(), round(MATRIX_SIZE * chart_scale())
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


def confusion_table(matrix: list[list[int]]) -> pd.DataFrame:
    """The confusion matrix's numbers: a row per true digit, a column per digit read."""
    return pd.DataFrame(
        matrix,
        index=pd.Index([f"true {digit}" for digit in DIGITS], name="true digit"),
        columns=[f"read {digit}" for digit in DIGITS],
    )
