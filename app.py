"""MNIST CNN studio: `streamlit run app.py`. This file only sets up the pages."""

import streamlit as st

from mnist_cnn.ui.classroom import get_jobs

st.set_page_config(page_title="MNIST CNN studio", page_icon="✏️", layout="wide")
# The first page served (any page) starts the trainer, which loads TensorFlow and MNIST while
# the class reads, so the first Start trains at once. Later calls cost nothing.
get_jobs().warm_up()

pages = [
    st.Page("mnist_cnn/ui/pages/draw.py", title="Draw", icon="✏️", default=True),
    st.Page("mnist_cnn/ui/pages/inside.py", title="Inside the CNN", icon="🔬"),
    st.Page("mnist_cnn/ui/pages/train.py", title="Train", icon="🏋️"),
    st.Page("mnist_cnn/ui/pages/metrics.py", title="Metrics", icon="📊"),
    st.Page("mnist_cnn/ui/pages/class_digits.py", title="Class digits", icon="🧑‍🏫"),
]
st.navigation(pages).run()
