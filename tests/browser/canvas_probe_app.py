"""Tiny app for the browser harness's own test: a canvas and its ink pixel count.

Run by tests/browser/test_canvas_probe.py; it imports neither TensorFlow nor the app.
"""

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

st.set_page_config(page_title="canvas probe")

result = st_canvas(
    stroke_width=18,
    stroke_color="#FFFFFF",
    background_color="#000000",
    height=280,
    width=280,
    drawing_mode="freedraw",
    return_image_data=True,
    key="canvas",
)

with st.container(key="probe"):
    image = result.image_data
    if image is None:
        st.write("ink=none")
    else:
        ink = int((np.asarray(image)[..., :3].max(axis=-1) > 127).sum())
        st.write(f"ink={ink}")
