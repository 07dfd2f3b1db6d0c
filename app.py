"""MNIST CNN studio: `streamlit run app.py`. This file only sets up the pages."""

import streamlit as st

st.set_page_config(page_title="MNIST CNN studio", page_icon="✏️", layout="wide")

pages = [
    st.Page("mnist_cnn/ui/pages/draw.py", title="Draw", icon="✏️", default=True),
    st.Page("mnist_cnn/ui/pages/inside.py", title="Inside the CNN", icon="🔬"),
    st.Page("mnist_cnn/ui/pages/train.py", title="Train", icon="🏋️"),
    st.Page("mnist_cnn/ui/pages/metrics.py", title="Metrics", icon="📊"),
    st.Page("mnist_cnn/ui/pages/class_digits.py", title="Class digits", icon="🧑‍🏫"),
    st.Page("mnist_cnn/ui/pages/lesson.py", title="Lesson", icon=":material/school:"),
]
st.navigation(pages).run()
