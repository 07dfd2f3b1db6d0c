"""Tooling around the mnist_cnn package: benchmark, classroom load, browser driving, synthetic
strokes. It imports mnist_cnn; mnist_cnn never imports it."""
