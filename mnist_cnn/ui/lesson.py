"""The Lesson page: the classroom notebook step by step, each step's idea, its code and
something live, with the teacher leading.

The steps' words and code are mnist_cnn.lesson.STEPS (the notebook is written from them); what
each step shows live comes from mnist_cnn.lesson_live. The step is in the address (?step=3).

With a teacher passphrase set, the teacher's page writes its step into the models folder
(LessonBoard) and every student's page with "Follow the teacher" on checks it every second, so
the teacher's Back and Next move the class, across app servers sharing that folder.

Training goes through the same job back end as the Train page; the run's progress and curves
are drawn by the Train page's own functions (the imports from mnist_cnn.ui.train).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mnist_cnn.config import PRESETS
from mnist_cnn.data import DataError, MnistData, load_mnist
from mnist_cnn.lesson import NOTEBOOK_TEST_ACCURACY, NOTEBOOK_TEST_LOSS, STEPS, step_number
from mnist_cnn.lesson_live import (
    LESSON_PRESET,
    LESSON_RUN_NAME,
    LessonBoard,
    architecture,
    dropout_demo,
    ink_window,
    loss_examples,
    one_hot,
    shape_chain,
    window_picture,
)
from mnist_cnn.storage import ModelFileError, ModelRecord
from mnist_cnn.ui.classroom import choose_my_model, classroom, get_jobs, is_teacher, use_model
from mnist_cnn.ui.models import get_store, sidebar
from mnist_cnn.ui.names import plain
from mnist_cnn.ui.train_live import follow_run, progress_charts
from mnist_cnn.ui.train_start import submit_run
from mnist_cnn.ui.widgets import show_picture

STEP_PARAMETER = "step"  # the address's query parameter: ?step=3
FOLLOW = "lesson-follow"  # the student's "Follow the teacher" checkbox
TRAIN_ERROR = "lesson-train-error"  # session state: why "Train it now" could not start a run
DRAW_PAGE = "mnist_cnn/ui/pages/draw.py"
FOLLOW_SECONDS = 1.0  # how often a following student's page reads the teacher's step
ROW_HEIGHT = 32  # pixels: the architecture table's ten rows fit a 720-pixel screen

LESSON_CSS = """
<style>
/* one step fits a 1280x720 projector in presenter mode: less room around the step */
.st-key-lesson-step [data-testid="stMarkdownContainer"] p { margin-bottom: .4rem; }
.st-key-lesson-step pre { margin-bottom: 0; }
.st-key-lesson-nav p { margin: 0; white-space: nowrap; }
</style>
"""


def lesson_board() -> LessonBoard:
    return LessonBoard(get_store().root)


def leads() -> bool:
    """This browser is the teacher's, and a passphrase is set: its step moves the class."""
    return classroom().has_teacher and is_teacher()


def follows() -> bool:
    """A student whose page follows the teacher's step."""
    return classroom().has_teacher and not is_teacher() and st.session_state.get(FOLLOW, True)


def go_to(step: int) -> None:
    st.query_params[STEP_PARAMETER] = str(step)


def move(by: int) -> None:
    """Back's and Next's callback: from the step in the address, which every run of the page
    sets to the step it shows (the teacher's moves the class at once)."""
    shown, _ = step_number(st.query_params.get(STEP_PARAMETER))
    step = min(max(shown + by, 1), len(STEPS))
    go_to(step)
    if leads():
        lesson_board().set_teacher_step(step)


# --- the live parts ---------------------------------------------------------------------------


def mnist_or_message() -> MnistData | None:
    try:
        return load_mnist(allow_download=False)
    except DataError as error:
        st.warning(f"This step shows MNIST's pictures, and this server has none: {error}")
        return None


def live_load() -> None:
    data = mnist_or_message()
    if data is None:
        return
    st.caption("The first eight training pictures, each with its label under it:")
    for column, image, label in zip(
        st.columns(8), data.train_images[:8], data.train_labels[:8], strict=True
    ):
        with column:
            show_picture(image / 255, str(label))
    shapes = {
        "x_train": (data.train_images.shape, "training pictures"),
        "y_train": (data.train_labels.shape, "their labels"),
        "x_test": (data.test_images.shape, "test pictures"),
        "y_test": (data.test_labels.shape, "their labels"),
    }
    table = pd.DataFrame(
        [
            {"array": name, "shape": str(shape), "holds": what}
            for name, (shape, what) in shapes.items()
        ]
    )
    st.dataframe(table, hide_index=True)


def live_scale() -> None:
    data = mnist_or_message()
    if data is None:
        return
    image, side = data.train_images[0], 4
    top, left = ink_window(image, side)
    crop = image[top : top + side, left : left + side]
    picture, words = st.columns([1, 2], vertical_alignment="center")
    with picture:
        show_picture(window_picture(image, top, left, side), f"a {data.train_labels[0]}")
    with words:
        st.markdown(f"The {side} × {side} marked pixels, before and after dividing by 255:")
    before, after = st.columns(2)
    with before:
        st.table(pd.DataFrame(crop), hide_index=True, hide_header=True)
    with after:
        st.table(pd.DataFrame(crop / 255).round(2), hide_index=True, hide_header=True)
    st.caption(f"Shape {data.train_images.shape} becomes {data.train_images.shape + (1,)}.")


def live_one_hot() -> None:
    data = mnist_or_message()
    if data is None:
        return
    index = st.slider("Picture", 0, 9, 0, key="lesson-one-hot-picture")
    label = int(data.train_labels[index])
    picture, vector = st.columns([1, 4])
    with picture:
        show_picture(data.train_images[index] / 255, f"label {label}")
    with vector:
        st.markdown(f"Label **{label}** becomes:")
        row = pd.DataFrame(
            [one_hot(label).astype(int)], columns=[str(digit) for digit in range(10)]
        )
        st.dataframe(row, hide_index=True)


def live_plan() -> None:
    data = mnist_or_message()
    window, slide = st.columns(2)
    with window:
        size = st.select_slider(
            "Window (kernel) size", [3, 5, 7, 9, 11, 13], value=5, key="lesson-kernel"
        )
    chain = shape_chain(size)
    if data is not None and chain.problem is None:
        image = data.train_images[0]
        top, _ = ink_window(image, size)
        with slide:
            left = st.slider("Slide the window", 0, 28 - size, 0, key="lesson-window")
        picture, words = st.columns([1, 2])
        with picture:
            show_picture(window_picture(image, top, left, size), f"{size} × {size} window")
        with words:
            st.markdown(
                f"It fits in **{28 - size + 1}** places across a row of 28 pixels "
                f"(28 − {size} + 1), so each filter's picture is {chain.sides[1]} pixels wide."
            )
    st.markdown("#### " + " → ".join(str(side) for side in chain.sides))
    st.caption("The picture's side: input, 1st convolution, pooling, 2nd convolution, pooling.")
    if chain.problem:
        st.warning(chain.problem)


@st.cache_data
def architecture_rows() -> pd.DataFrame:
    rows = [
        {
            "layer": row.name,
            "type": row.kind,
            "output": " × ".join(map(str, row.output_shape)),
            "weights": row.parameters,
        }
        for row in architecture()
    ]
    return pd.DataFrame(rows)


def live_convolution() -> None:
    table = architecture_rows()
    st.dataframe(table, hide_index=True, row_height=ROW_HEIGHT)
    st.caption(
        f"{table.weights.sum():,} weights to learn. A 5 × 5 filter on 1 channel has 25 "
        "weights and a bias: 16 filters make 16 × 26 = 416; on 16 channels, 16 × (400 + 1) "
        "= 6,416."
    )


def live_dense() -> None:
    values = dropout_demo(0.2, 10, seed=int(st.session_state.get("lesson-dropout-seed", 0)))
    st.button(
        "Another training step",
        key="lesson-dropout",
        on_click=lambda: st.session_state.update(
            {"lesson-dropout-seed": st.session_state.get("lesson-dropout-seed", 0) + 1}
        ),
    )
    on, off = "■", "□"  # plain shapes: no emoji font needed
    st.markdown(f"Ten units before: {' '.join(on * len(values))}")
    st.markdown(f"after dropout 0.2: {' '.join(on if value else off for value in values)}")
    st.caption(
        f"{int((values == 0).sum())} of 10 units switched off (□) this step; the others (■) "
        "count 1 ÷ 0.8 = 1.25 times, so the total stays about the same. Reading a digit after "
        f"training, every unit is on. The whole network: {architecture_rows().weights.sum():,} "
        "weights."
    )


def live_compile() -> None:
    examples = loss_examples()
    table = pd.DataFrame(
        [
            {
                "answer for a 7": example.what,
                "7 gets": f"{100 * example.right_digit_probability:.1f}%",
                "loss": round(example.loss, 3),
            }
            for example in examples
        ]
    )
    st.dataframe(table, hide_index=True)
    st.caption(
        "Cross-entropy is −log(probability given to the right digit): near 0 when sure and "
        "right, large when sure and wrong. Training lowers its average over all pictures."
    )


def lesson_record() -> ModelRecord | None:
    """The record of the lesson's latest training run, if there is one."""
    run_id = lesson_board().run_id()
    if run_id is None:
        return None
    try:
        return get_store().get(run_id)
    except ModelFileError:  # deleted since
        return None


def train_now() -> None:
    """ "Train it now"'s callback: the notebook's network (the seed preset) through the job back
    end; the whole class follows that run. If someone started one meanwhile, follow theirs."""
    record = lesson_record()
    if record is not None and record.status.is_active:
        return
    try:
        job = submit_run(PRESETS[LESSON_PRESET], LESSON_RUN_NAME)
        lesson_board().set_run_id(job.id)
    except (ValueError, OSError) as error:  # a full disk, a read-only models folder, the cluster
        st.session_state[TRAIN_ERROR] = f"Could not start training: {error}"


def live_train() -> None:
    record = lesson_record()
    if record is not None and record.status.is_active:
        if get_jobs().get(record.id) is None:  # another app server's (this machine's back end)
            st.info(f"“{plain(record.name)}” is {record.status} on another app server.")
        else:
            follow_run(record.id)
        return
    st.button(
        "Train it now",
        type="primary",
        key="lesson-train",
        on_click=train_now,
        help="Trains this network with these settings (the seed preset) on the app's trainer.",
    )
    if TRAIN_ERROR in st.session_state:
        st.error(st.session_state.pop(TRAIN_ERROR))
    if record is None:
        st.caption("The app trains this same network, 8 epochs of batches of 200.")
        return
    score = (
        f", {100 * record.test_accuracy:.2f}% on the test digits"
        if record.test_accuracy is not None
        else ""
    )
    st.markdown(f"Last lesson run: **{record.status}**{score}.")
    if record.error:
        st.error(record.error)
    job = get_jobs().get(record.id)
    if job is not None and job.progress is not None:
        progress_charts(job)


def live_evaluate() -> None:
    record = lesson_record()
    rows = [
        {"network": "the original notebook", "test accuracy": f"{100 * NOTEBOOK_TEST_ACCURACY:.2f}%",
         "test loss": f"{NOTEBOOK_TEST_LOSS:.4f}"},
    ]  # fmt: skip
    if record is not None and record.test_accuracy is not None:
        rows.append(
            {
                "network": "this lesson's run",
                "test accuracy": f"{100 * record.test_accuracy:.2f}%",
                "test loss": f"{record.test_loss:.4f}",
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    if len(rows) == 1:
        st.info("Train the network in step 8 to see its score here.")


def live_your_turn() -> None:
    record = lesson_record()
    if record is None or not record.has_model or record.error:
        st.info(
            "No network from this lesson yet: train it in step 8. Or draw with the class's model:"
        )
        st.page_link(DRAW_PAGE, label="Draw a digit", icon=":material/draw:")
        return
    if st.button("Use it and draw a digit", type="primary", key="lesson-draw"):
        if is_teacher():  # the teacher leads: the class draws with it too
            use_model(record.id)
        else:
            choose_my_model(record.id)
        # no query parameters to clear: presenter mode's is bound to its toggle, which keeps
        # its value in the session and puts it back in the address on the Draw page
        st.switch_page(DRAW_PAGE, query_params={})
    st.caption(f"Makes “{plain(record.name)}” your model, then opens the Draw page.")


LIVE = {
    "load": live_load,
    "scale": live_scale,
    "one-hot": live_one_hot,
    "plan": live_plan,
    "convolution": live_convolution,
    "dense": live_dense,
    "compile": live_compile,
    "train": live_train,
    "evaluate": live_evaluate,
    "your-turn": live_your_turn,
}
# the words' and the live part's shares of the page's width, where the live part needs more
# (the architecture table's four columns, in presenter mode at 1280 × 720)
WIDTHS = {"convolution": [2, 3]}


# --- navigation and the teacher -----------------------------------------------------------


@st.fragment(run_every=FOLLOW_SECONDS)
def follow_teacher(step: int) -> None:
    """Every second, on a following student's page: to the teacher's step when it moved."""
    teacher = lesson_board().teacher_step()
    if teacher is not None and min(teacher, len(STEPS)) != step:
        go_to(min(teacher, len(STEPS)))
        st.rerun(scope="app")


def navigation(step: int, following: bool) -> None:
    with st.container(
        horizontal=True, vertical_alignment="center", horizontal_alignment="distribute"
    ):
        st.subheader(f"{step}. {STEPS[step - 1].title}", width="content")
        with st.container(
            key="lesson-nav", horizontal=True, vertical_alignment="center", width="content"
        ):
            st.button("Back", key="lesson-back", on_click=move, args=(-1,),
                      disabled=step == 1 or following, icon=":material/arrow_back:")  # fmt: skip
            st.markdown(f"Step {step} of {len(STEPS)}", width="content")
            st.button("Next", key="lesson-next", on_click=move, args=(1,),
                      disabled=step == len(STEPS) or following, icon=":material/arrow_forward:")  # fmt: skip
    if classroom().has_teacher and not is_teacher():
        st.checkbox(
            "Follow the teacher",
            value=True,
            key=FOLLOW,
            persist_state="session",
            help="On: your page shows the teacher's step. Off: go at your own pace.",
        )


def page() -> None:
    sidebar()
    st.html(LESSON_CSS)
    step, problem = step_number(st.query_params.get(STEP_PARAMETER))
    board = lesson_board()
    following = follows() and board.teacher_step() is not None
    if following:
        step = min(board.teacher_step() or step, len(STEPS))
        problem = None
    elif leads() and board.teacher_step() != step:
        board.set_teacher_step(step)
    go_to(step)  # the address always names the step shown
    navigation(step, following)
    if problem:
        st.warning(problem)
    shown = STEPS[step - 1]
    with st.container(key="lesson-step"):
        words, live = st.columns(WIDTHS.get(shown.slug, 2), gap="large")
        with words:
            st.markdown(shown.words)
        with live:
            LIVE[shown.slug]()
        st.code(shown.code, language="python", wrap_lines=True)
    if follows():  # also before the teacher's first step: it moves the page when it comes
        follow_teacher(step)
