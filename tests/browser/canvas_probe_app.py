"""Tiny app for the browser harness's own test: the app's canvas (with its Clear and Undo) and
its ink pixel count.

Run by tests/browser/test_canvas_probe.py; it imports neither TensorFlow nor the app's pages.
"""

import numpy as np
import streamlit as st

from mnist_cnn.ui.widgets import digit_canvas

st.set_page_config(page_title="canvas probe")

_, image = digit_canvas("canvas", brush=18)

with st.container(key="probe"):
    if image is None:
        st.write("ink=none")
    else:
        ink = int((np.asarray(image)[..., :3].max(axis=-1) > 127).sum())
        st.write(f"ink={ink}")
