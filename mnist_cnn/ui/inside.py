"""The Inside the CNN page: follow one digit from its pixels to the prediction, layer by layer;
see where the network looks; move, turn, resize or re-ink the digit and watch the answer change.

The page script is mnist_cnn/ui/pages/inside.py; everything it does is here. The drawing is
the student's one drawing (ui/drawing.py): the same as on the Draw page.
"""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from mnist_cnn.canvas import CANVAS_SIZE
from mnist_cnn.data import DataError, load_mnist
from mnist_cnn.inside import (
    Inspector,
    LayerView,
    first_layer_filters,
    heat_overlay,
    strongest_units,
    tile,
    transform,
)
from mnist_cnn.predict import Prediction
from mnist_cnn.ui.drawing import student_drawing
from mnist_cnn.ui.models import active_model, sidebar
from mnist_cnn.ui.widgets import (
    digit_canvas,
    enlarge,
    show_bars,
    show_picture,
    show_prediction,
    show_probabilities,
)

# Pictures are sent at their own size (small and fast) and enlarged by the browser with square
# pixels (widgets.show_picture). Bars are plain HTML (widgets.show_bars): a Vega chart costs the
# browser far more.
DRAW, TEST_IMAGE = "Draw", "MNIST test image"
DRAW_HINT = "✏️ Draw a digit from 0 to 9 on the black square, or pick an MNIST test image."

# The playground: key -> (label, smallest, largest, neutral value, step, shown as, help)
SLIDERS = {
    "shift-x": ("Move right", -8, 8, 0, 1, "%d px", "Pixels to the right (negative: to the left)."),
    "shift-y": ("Move down", -8, 8, 0, 1, "%d px", "Pixels down (negative: up)."),
    "rotation": ("Turn", -180, 180, 0, 5, "%d°", "Degrees anticlockwise (negative: clockwise)."),
    "scale": ("Size", 0.5, 1.5, 1.0, 0.05, "%.2f×", "1 is the size drawn; 0.5 is half as big."),
    "thickness": (
        "Ink",
        -1.0,
        1.0,
        0.0,
        0.1,
        "%.1f",
        "Negative: thinner strokes; positive: thicker.",
    ),
}
SLIDER_ARGUMENTS = {  # the `transform` argument each slider sets
    "shift-x": "shift_x",
    "shift-y": "shift_y",
    "rotation": "rotation",
    "scale": "scale",
    "thickness": "thickness",
}
NEUTRAL = {SLIDER_ARGUMENTS[key]: values[3] for key, values in SLIDERS.items()}
KIND_NAMES = {
    "InputLayer": "Input",
    "Conv2D": "Convolution",
    "MaxPooling2D": "Max pooling",
    "Dropout": "Dropout",
    "Flatten": "Flatten",
    "Dense": "Dense",
}
# One plain sentence per layer: what it does and what its pictures show. Words a class may not
# know are explained where they first appear.
EXPLANATIONS = {
    "InputLayer": (
        "The drawing as the network gets it: 28 × 28 numbers, 0 for black and 1 for white."
    ),
    "Conv2D": (
        "Each filter (a small pattern of learned weights, also called a kernel) slides over "
        "the picture before and asks everywhere “is my pattern here?”; each small picture, a "
        "feature map, is bright where its filter found its pattern. Negative answers are set "
        "to 0: that rule is called ReLU."
    ),
    "MaxPooling2D": (
        "Keeps only the strongest answer of every 2 × 2 block, so each map shrinks to half its "
        "size and a pattern still counts if it moved by a pixel."
    ),
    "Dropout": (
        "While training, dropout switches off random numbers so the network cannot lean on any "
        "single one; when it reads a digit it lets everything through, so this is the same as "
        "the layer above."
    ),
    "Flatten": (
        "Lays all the maps out as one long list of numbers, so the next layer can weigh every "
        "one of them."
    ),
    "Dense": (
        "Each unit adds up every number of the layer before, each times its own learned weight, "
        "plus a bias (one more learned number of its own); negative sums become 0 (ReLU)."
    ),
    "Output": (
        'Ten units, one per digit (a network trained to say "not a digit" has an 11th); softmax, '
        "a formula, turns their sums into probabilities that add up to 100%, and the largest is "
        "the answer."
    ),
}
PARAMETERS_NOTE = (
    "Parameters are the numbers the network learned while training: weights (how much each "
    "input counts) and biases (one extra number per filter or unit)."
)


@st.cache_resource(max_entries=4, show_spinner="Preparing the layer views…")
def _inspector(model_path: str, modified: float, _model) -> Inspector:
    # keyed like models._predictor (path and modification time); `_model` is not hashed
    return Inspector(_model)


# --- Input ----------------------------------------------------------------------------------


def read_drawing() -> tuple[np.ndarray | None, str]:
    prepared, _ = digit_canvas("inside-canvas")
    if prepared is None or prepared.blank:
        return None, DRAW_HINT
    return prepared.image, ""


def read_test_image() -> tuple[np.ndarray | None, str]:
    index = st.number_input("Test image number", min_value=0, value=0, step=1, key="test-index")
    try:
        with st.spinner("Loading the MNIST test images…"):
            data = load_mnist()
    except DataError as error:
        st.error(f"**MNIST test images not found.** {error}")
        return None, "No test image to show."
    count = len(data.test_images)
    if not 0 <= index < count:
        st.error(
            f"There are {count:,} test images, numbered 0 to {count - 1:,}. Received: {index:,}"
        )
        return None, f"Choose a test image number from 0 to {count - 1:,}."
    st.image(
        enlarge(data.test_images[index] / 255),
        caption=f"Test image {index:,}. MNIST's label: {data.test_labels[index]}",
        width=CANVAS_SIZE,
    )
    return (data.test_images[index] / 255).astype(np.float32), ""


def playground() -> dict[str, float]:
    """The sliders, two a row, and a reset button; returns `transform`'s arguments."""
    values = {}
    rows = [list(SLIDERS)[i : i + 2] for i in range(0, len(SLIDERS), 2)]
    for row in rows:
        for column, key in zip(st.columns(2), row, strict=False):
            label, smallest, largest, neutral, step, shown_as, help_text = SLIDERS[key]
            values[SLIDER_ARGUMENTS[key]] = column.slider(
                label,
                smallest,
                largest,
                neutral,
                step,
                format=shown_as,
                key=key,
                help=help_text,
                persist_state="session",  # kept while the canvas is empty, and on other pages
            )
    st.button("Reset the sliders", on_click=reset_sliders, key="reset-sliders")
    return values


def reset_sliders() -> None:
    for key, (_, _, _, neutral, _, _, _) in SLIDERS.items():
        st.session_state[key] = neutral


# --- Prediction and saliency ------------------------------------------------------------------


def show_network_view(image: np.ndarray, heat: np.ndarray, digit: int) -> None:
    seen, looked = st.columns(2)
    with seen:
        show_picture(image, "What the network sees: 28 × 28 pixels")
    with looked:
        show_picture(
            heat_overlay(image, heat),
            f"Where it looks: the ink that counts most for “{digit}” glows yellow",
        )


# --- Layer by layer ---------------------------------------------------------------------------


def shape_text(shape: tuple) -> str:
    return " × ".join(str(size) for size in shape)


def parameters_text(view: LayerView, previous: LayerView | None) -> str:
    """The parameter count, and for a layer that learns, where it comes from."""
    if view.parameters == 0 or previous is None:
        return "0 parameters: nothing to learn"
    inputs, outputs = previous.output_shape[-1], view.output_shape[-1]
    if view.kind == "Conv2D":  # each filter: side × side × inputs weights and a bias
        side = math.isqrt((view.parameters // outputs - 1) // inputs)
        return (
            f"{view.parameters:,} parameters = {outputs} filters × "
            f"({side}×{side}×{inputs} weights + 1 bias)"
        )
    if view.kind == "Dense":
        return f"{view.parameters:,} parameters = {outputs} units × ({inputs:,} weights + 1 bias)"
    return f"{view.parameters:,} parameters"


def scaled(values: np.ndarray) -> np.ndarray:
    """Values divided by the largest, so the strongest is white (all 0 stays black)."""
    strongest = values.max()
    return values / strongest if strongest > 0 else values


def scaled_per_map(maps: np.ndarray) -> np.ndarray:
    """Each feature map (height, width, count) divided by its own largest value, so every map's
    pattern shows, however weak the map is next to the others (a map of all 0 stays black)."""
    strongest = maps.max(axis=(0, 1), keepdims=True)
    return maps / np.where(strongest > 0, strongest, 1)


def map_columns(count: int) -> int:
    return 4 if count <= 16 else 8


def show_maps(view: LayerView, filters: np.ndarray | None) -> None:
    count = view.output_shape[-1]
    columns = map_columns(count)
    if filters is not None:
        # each filter scaled by its largest weight, 0 at mid-grey: light wants ink, dark none
        largest = np.abs(filters).max(axis=(0, 1))
        grey = filters / (2 * np.where(largest > 0, largest, 1)) + 0.5
        show_picture(
            tile(grey, columns),
            f"The {count} learned filters, each {shape_text(filters.shape[:2])} weights: light = "
            "wants ink there, dark = wants no ink there",
        )
        caption = (
            f"…and the {count} feature maps they make, in the same places: bright = pattern "
            "found (each map on its own scale)"
        )
    else:
        caption = (
            f"{count} feature maps of {shape_text(view.output_shape[:2])}: bright = pattern "
            "found (each map on its own scale, so weak maps show too; black = found nowhere)"
        )
    show_picture(tile(scaled_per_map(view.activations), columns, fill=0.5), caption)


def show_vector(values: np.ndarray, columns: int, caption: str) -> None:
    show_picture(tile(scaled(values).reshape(1, 1, -1), columns, gap=0), caption)


def show_strongest_units(values: np.ndarray) -> None:
    top = strongest_units(values, 10)
    largest = max(top[0][1], 1e-9) if top else 1.0
    show_bars(
        "The 10 strongest units",
        [f"unit {unit}" for unit, _ in top],
        [value / largest for _, value in top],
        [f"{value:.1f}" for _, value in top],
        "strongest-units",
    )


def show_layer(number: int, view: LayerView, previous: LayerView | None, model) -> None:
    """One card: the layer's name, kind, output shape and parameters; what it shows for the
    image; what it does, in words."""
    is_output = number > 1 and view.kind == "Dense" and view.output_shape in ((10,), (11,))
    kind = KIND_NAMES.get(view.kind, view.kind)
    explanation = EXPLANATIONS.get("Output" if is_output else view.kind, "")
    with st.container(border=True, key=f"layer-{view.name}"):
        st.markdown(f"### {number}. {view.name} · {kind}")
        st.markdown(
            f"Output **{shape_text(view.output_shape)}** · {parameters_text(view, previous)}"
        )
        if view.kind == "Dropout":
            st.caption(explanation)
            return
        picture, words = st.columns([3, 2], gap="large")
        words.markdown(explanation)
        with picture:
            activations = view.activations
            if view.kind == "InputLayer":
                show_picture(activations[:, :, 0], "28 × 28 pixels", width=280)
            elif activations.ndim == 3:
                is_first_convolution = view.kind == "Conv2D" and previous.kind == "InputLayer"
                show_maps(view, first_layer_filters(model) if is_first_convolution else None)
            elif is_output:
                show_probabilities(activations, key="output-probabilities")
            elif view.kind == "Flatten":
                channels = previous.output_shape[-1]
                show_vector(
                    activations,
                    channels,
                    f"The {activations.size:,} numbers, {channels} a row: each row is every map "
                    "at one position",
                )
            else:
                active = np.count_nonzero(activations > 0)
                show_strongest_units(activations)
                show_vector(
                    activations,
                    32,
                    f"All {activations.size} units, 32 a row: {active} of them are active (above 0)",
                )


@st.fragment
def follow_the_drawing(inspector: Inspector, predictor) -> None:
    """Everything a stroke or a slider changes. A fragment: they rerun only this, not the
    whole page (the sidebar and the page around it stay as they are)."""
    source = st.segmented_control("Input", [DRAW, TEST_IMAGE], default=DRAW, key="inside-source")
    left, right = st.columns([1, 1], gap="large")
    with left:
        if source == TEST_IMAGE:
            student_drawing().show_again()  # off screen: back on Draw, the canvas shows it again
            original, hint = read_test_image()
        else:
            original, hint = read_drawing()

    if original is None:
        with right:
            show_prediction(None, hint)
        return
    with st.container(border=True, key="playground"):
        st.subheader("Move it, turn it, resize it, re-ink it")
        controls, pictures = st.columns([1, 1], gap="large")
        with controls:
            changes = playground()
        image = transform(original, **changes)
        views = inspector.layer_outputs(image)  # one forward pass: every layer, and the answer
        probabilities = views[-1].activations
        prediction = Prediction.from_outputs(probabilities)
        before = predictor.predict(original) if changes != NEUTRAL else None
        with pictures:
            show_network_view(image, inspector.saliency(image, prediction.digit), prediction.digit)
    with right:
        show_prediction(prediction, "", before)
        show_probabilities(prediction.probabilities)

    st.header("Layer by layer")
    total = sum(view.parameters for view in views)
    st.caption(
        f"From the pixels (1) to the prediction ({len(views)}). Shapes are height × width × "
        f"feature maps. {PARAMETERS_NOTE} This network has {total:,}."
    )
    for number, view in enumerate(views, start=1):
        show_layer(number, view, views[number - 2] if number > 1 else None, predictor.model)


# --- The page ---------------------------------------------------------------------------------


def page() -> None:
    student_drawing().show_again()  # the page has (re)appeared: show the drawing as it is now
    sidebar()
    record, predictor = active_model()
    inspector = _inspector(
        str(record.model_path), record.model_path.stat().st_mtime, predictor.model
    )
    st.title("Inside the CNN")
    st.caption(
        "Draw a digit (or pick one from MNIST's test set) and follow it through the network, "
        "from pixels to prediction. The drawing is the same as on the Draw page."
    )
    follow_the_drawing(inspector, predictor)
