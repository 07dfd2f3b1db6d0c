"""MNIST CNN studio: `streamlit run app.py`. This file only sets up the pages."""

import streamlit as st

from mnist_cnn.ui.classroom import get_jobs
from mnist_cnn.ui.server import deliver_finished_runs, keep_tensorflow_warm

st.set_page_config(page_title="MNIST CNN studio", page_icon=":material/draw:", layout="wide")
keep_tensorflow_warm()  # no keras.backend.clear_session() after every run (see its docstring)
deliver_finished_runs()  # a run's output is sent even when the next rerun comes at once
# The first page served (any page) starts the trainer, which loads TensorFlow and MNIST while
# the class reads, so the first Start trains at once. Later calls cost nothing.
get_jobs().warm_up()

pages = [
    st.Page("mnist_cnn/ui/pages/draw.py", title="Draw", icon=":material/draw:", default=True),
    st.Page("mnist_cnn/ui/pages/inside.py", title="Inside the CNN", icon=":material/biotech:"),
    st.Page("mnist_cnn/ui/pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("mnist_cnn/ui/pages/metrics.py", title="Metrics", icon=":material/bar_chart:"),
    st.Page("mnist_cnn/ui/pages/class_digits.py", title="Class digits", icon=":material/school:"),
    st.Page("mnist_cnn/ui/pages/lesson.py", title="Lesson", icon=":material/menu_book:"),
]
st.navigation(pages).run()
