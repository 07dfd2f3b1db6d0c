"""Streamlit pages. Only this folder and app.py import streamlit."""
