"""Tests for mnist_cnn.preprocess: any picture of a digit in, an MNIST-style 28x28 image out."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from mnist_cnn import preprocess as preprocess_module
from mnist_cnn.preprocess import MAX_PIXELS, Preprocessed, load_image, preprocess
from tools.strokes import digit_strokes, make_drawn_digits, render_strokes


def drawn_digit(digit=3, seed=0, size=280, stroke_width=20, **options) -> Image.Image:
    """A synthetic handwritten digit, white on black unless `options` say otherwise."""
    strokes = digit_strokes(digit, np.random.default_rng(seed))
    return render_strokes(strokes, size, stroke_width, **options)


def png_bytes(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(image.shape)
    return (rows * image).sum() / image.sum(), (cols * image).sum() / image.sum()


def bounding_box_size(image: np.ndarray, level: float) -> tuple[int, int]:
    rows = np.flatnonzero((image > level).any(axis=1))
    cols = np.flatnonzero((image > level).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def correlation(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.corrcoef(first.ravel(), second.ravel())[0, 1])


def shifted_correlation(first: np.ndarray, second: np.ndarray) -> float:
    """The best correlation when `first` may be shifted by up to one pixel."""
    shifts = [(rows, cols) for rows in (-1, 0, 1) for cols in (-1, 0, 1)]
    return max(correlation(np.roll(first, shift, axis=(0, 1)), second) for shift in shifts)


def spread(image: np.ndarray, pixels: int) -> np.ndarray:
    """`image` grown by `pixels` in every direction (the maximum over shifted copies)."""
    offsets = range(-pixels, pixels + 1)
    return np.max([np.roll(image, (rows, cols), (0, 1)) for rows in offsets for cols in offsets], 0)


@pytest.fixture(scope="module")
def reference() -> Preprocessed:
    """The result for the plain white-on-black drawing; other inputs must give the same."""
    return preprocess(np.asarray(drawn_digit()))


# --- The MNIST recipe ----------------------------------------------------------------------------


def test_output_is_a_28x28_float_image_with_the_steps(reference):
    assert not reference.blank
    image = reference.image
    assert image.shape == (28, 28)
    assert image.dtype == np.float32
    assert image.min() >= 0
    assert image.max() == pytest.approx(1.0)
    assert list(reference.steps) == ["ink", "cropped", "fitted", "centred"]
    for name, step in reference.steps.items():
        assert step.ndim == 2 and step.dtype == np.float32, name
        assert step.min() >= 0 and step.max() <= 1, name
    assert reference.steps["ink"].shape == (280, 280)
    assert reference.steps["fitted"].shape == (20, 20)
    np.testing.assert_array_equal(reference.steps["centred"], image)


@pytest.mark.parametrize("index", range(10))
def test_centre_of_mass_is_at_the_centre_and_ink_fits_20_pixels(index):
    image, digit, _ = make_drawn_digits(10, seed=7)[index]
    result = preprocess(image)
    assert not result.blank, digit
    row, col = centre_of_mass(result.image)
    assert abs(row - 14) <= 1 and abs(col - 14) <= 1, (digit, row, col)
    height, width = bounding_box_size(result.image, 0)
    assert height <= 20 and width <= 20, (digit, height, width)
    height, width = bounding_box_size(result.image, 0.1)
    assert max(height, width) >= 18, (digit, height, width)


def test_aspect_ratio_is_kept():
    bar = np.zeros((200, 200), np.uint8)
    bar[40:160, 90:120] = 255  # 120 tall, 30 wide
    image = preprocess(bar).image
    assert bounding_box_size(image, 0.5) == (20, 5)


def test_preprocessing_its_own_output_changes_little(reference):
    again = preprocess(reference.image)
    assert correlation(again.image, reference.image) > 0.9


# --- Polarity, transparency, input types and dtypes --------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"ink_on_dark": False},
        {"background": "transparent"},
        {"background": "transparent", "ink_on_dark": False},
    ],
)
def test_same_result_for_either_polarity_and_transparent_canvas(reference, options):
    result = preprocess(np.asarray(drawn_digit(**options)))
    np.testing.assert_allclose(result.image, reference.image, atol=1e-5)


def test_opaque_canvas_with_a_background_colour(reference):
    white_on_black = np.asarray(drawn_digit())
    canvas = np.empty((280, 280, 4), np.uint8)
    canvas[:, :, :3] = np.where(white_on_black[:, :, None] > 0, (20, 20, 20), (250, 245, 235))
    canvas[:, :, 3] = 255
    result = preprocess(canvas)
    np.testing.assert_allclose(result.image, reference.image, atol=0.02)


def test_picture_with_transparent_margin_uses_its_dominant_colour(reference):
    dark_on_light = np.asarray(drawn_digit(ink_on_dark=False).convert("RGBA")).copy()
    dark_on_light[:6, :, 3] = 0  # a transparent strip along the top
    dark_on_light[:, :6, 3] = 0
    result = preprocess(dark_on_light)
    np.testing.assert_allclose(result.image, reference.image, atol=1e-5)


def test_pil_image_path_bytes_and_file_objects_give_the_same(reference, tmp_path):
    image = drawn_digit(ink_on_dark=False)
    data = png_bytes(image)
    path = tmp_path / "digit.png"
    path.write_bytes(data)

    class UploadedFileLike:  # like Streamlit's UploadedFile: getvalue() and read()
        def getvalue(self):
            return data

    with open(path, "rb") as opened_file:
        from_open_file = preprocess(opened_file)
    sources = [image, path, str(path), data, bytearray(data), io.BytesIO(data), UploadedFileLike()]
    for result in [from_open_file] + [preprocess(source) for source in sources]:
        np.testing.assert_allclose(result.image, reference.image, atol=1e-5)


@pytest.mark.parametrize(
    "convert",
    [
        lambda ink: ink.astype(np.uint16) * 257,
        lambda ink: ink > 127,
        lambda ink: (ink / 255).astype(np.float32),
        lambda ink: ink / 255,
        lambda ink: ink.astype(np.int64),
        lambda ink: ink[:, :, np.newaxis],
        lambda ink: np.repeat(ink[:, :, np.newaxis], 3, axis=2),
        lambda ink: np.stack([ink, np.full_like(ink, 255)], axis=2),  # grey + opaque alpha
    ],
    ids=["uint16", "bool", "float32", "float64", "int64", "HxWx1", "RGB", "grey+alpha"],
)
def test_array_dtypes_and_shapes(reference, convert):
    ink = np.asarray(drawn_digit())
    result = preprocess(convert(ink))
    np.testing.assert_allclose(result.image, reference.image, atol=1e-5)


@pytest.mark.parametrize("mode", ["1", "P", "LA", "I", "F", "CMYK", "RGBA", "YCbCr"])
def test_pil_image_modes(reference, mode):
    image = drawn_digit().convert(mode)
    result = preprocess(image)
    assert correlation(result.image, reference.image) > 0.98, mode


def test_sixteen_bit_png(reference):
    ink = np.asarray(drawn_digit(ink_on_dark=False)).astype(np.uint16) * 257
    data = png_bytes(Image.fromarray(ink))
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    np.testing.assert_allclose(preprocess(data).image, reference.image, atol=1e-5)


def test_cmyk_jpeg(reference):
    buffer = io.BytesIO()
    drawn_digit(ink_on_dark=False).convert("CMYK").save(buffer, format="JPEG", quality=90)
    assert Image.open(buffer).mode == "CMYK"
    result = preprocess(buffer.getvalue())
    assert shifted_correlation(result.image, reference.image) > 0.95


def test_animated_gif_uses_the_first_frame():
    first, second = drawn_digit(1, seed=1), drawn_digit(8, seed=2)
    buffer = io.BytesIO()
    first.save(buffer, format="GIF", save_all=True, append_images=[second], duration=100)
    assert Image.open(buffer).n_frames == 2
    result = preprocess(buffer.getvalue())
    assert correlation(result.image, preprocess(first).image) > 0.99
    assert correlation(result.image, preprocess(second).image) < 0.8


# --- Photos and big images -------------------------------------------------------------------


def paper_photo(ink: np.ndarray, rng: np.random.Generator) -> bytes:
    """Dark ink on grey paper, light falling from one side, sensor noise, saved as JPEG."""
    height, width = ink.shape
    rows, cols = np.mgrid[0:height, 0:width]
    paper = 0.45 + 0.35 * cols / width + 0.1 * rows / height
    photo = paper * (1 - 0.75 * ink) + rng.normal(0, 0.03, ink.shape)
    photo = (np.clip(photo, 0, 1) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(photo).convert("RGB").save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


@pytest.mark.parametrize("digit", [0, 4, 7])
def test_photo_of_paper_with_uneven_light_gives_a_clean_digit(digit):
    ink = np.asarray(drawn_digit(digit, seed=digit), np.float32) / 255
    clean = preprocess(ink)
    result = preprocess(paper_photo(ink, np.random.default_rng(digit)))
    assert not result.blank
    # The digit is the same (allowing a one-pixel shift from slightly different ink levels)...
    assert shifted_correlation(result.image, clean.image) > 0.9
    # ... and there are no specks of ink away from it, in the ink step or in the 28x28 image.
    assert np.count_nonzero((result.steps["ink"] > 0) & (spread(ink, 3) < 0.05)) == 0
    assert np.count_nonzero((result.image > 0.2) & (spread(clean.image, 1) < 0.05)) <= 3


def test_blank_paper_photo_is_blank():
    assert preprocess(paper_photo(np.zeros((300, 300)), np.random.default_rng(0))).blank


def test_big_photo_is_shrunk_early():
    photo = drawn_digit(5, size=1000, stroke_width=60, ink_on_dark=False).resize((4000, 3000))
    buffer = io.BytesIO()
    photo.convert("RGB").save(buffer, format="JPEG", quality=85)
    data = buffer.getvalue()
    array = np.asarray(photo)
    assert max(load_image(data).shape) <= preprocess_module.WORKING_SIDE
    for source in (data, array):
        result = preprocess(source)
        assert not result.blank
        assert max(result.steps["ink"].shape) <= 280


def test_load_image_gives_ink_as_one():
    ink = load_image(drawn_digit(ink_on_dark=False))
    assert ink.shape == (280, 280) and ink.dtype == np.float32
    assert ink[0, 0] == 0 and ink.max() == pytest.approx(1.0)


# --- Blank inputs ------------------------------------------------------------------------------


def with_pixels(*positions, size=280):
    image = np.zeros((size, size), np.uint8)
    for row, col in positions:
        image[row, col] = 255
    return image


@pytest.mark.parametrize(
    "source",
    [
        np.zeros((280, 280), np.uint8),
        np.full((280, 280), 255, np.uint8),
        np.full((280, 280), 0.5),
        np.ones((280, 280, 4), np.uint8) * np.array([0, 0, 0, 255], np.uint8),  # all ink, RGBA
        np.zeros((280, 280, 4), np.uint8),  # fully transparent canvas
        with_pixels((100, 100), (200, 30)),  # two noise pixels
        with_pixels((100, 100), (100, 101), (101, 100)),  # a speck
        with_pixels((0, 0), (0, 1), (1, 0), (1, 1), size=28),
        (np.asarray(drawn_digit()) // 25).astype(np.uint8),  # far too faint
        Image.new("RGB", (100, 60), "white"),
    ],
    ids=[
        "black",
        "white",
        "grey",
        "all ink",
        "transparent",
        "two pixels",
        "speck",
        "corner blob",
        "faint",
        "white PIL",
    ],
)
def test_blank_inputs(source):
    result = preprocess(source)
    assert result.blank
    assert result.image is None
    assert list(result.steps) == ["ink"]
    assert result.steps["ink"].ndim == 2


# --- Bad inputs --------------------------------------------------------------------------------


def png_header_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header says width x height: nothing that big is ever allocated."""
    data = bytearray(png_bytes(Image.new("L", (8, 8))))
    # The IHDR chunk: length (8:12), type (12:16), width (16:20), height (20:24), ..., CRC (29:33)
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def truncated_png() -> bytes:
    noise = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    data = png_bytes(Image.fromarray(noise))
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (np.zeros((0, 10), np.uint8), "empty"),
        (np.zeros((10, 10, 0), np.uint8), "empty"),
        (np.zeros(10, np.uint8), "must be \\(H, W\\)"),
        (np.zeros((2, 3, 4, 4), np.uint8), "must be \\(H, W\\)"),
        (np.zeros((10, 10, 5), np.uint8), "channels"),
        (np.zeros((10, 10), np.complex64), "dtype"),
        (np.zeros((10, 10), object), "dtype"),
        (np.full((10, 10), "a"), "dtype"),
        (np.full((10, 10), np.nan), "NaN"),
        (np.full((10, 10), np.inf, np.float32), "NaN or infinite"),
        (np.full((10, 10), 1.5), "\\[0, 1\\]"),
        (np.full((10, 10), -0.1), "\\[0, 1\\]"),
        (np.full((10, 10), 70000, np.int64), "0-65535"),
        (np.broadcast_to(np.uint8(0), (5001, 5001)), "too large"),
        (png_header_claiming(6000, 5000), "too large"),
        (png_header_claiming(20000, 20000), "too large"),
        (truncated_png(), "truncated"),
        (b"", "empty"),
        (b"this is not an image", "not an image"),
        (io.StringIO("text"), "binary mode"),
        (5, "Cannot read an image"),
        (None, "Cannot read an image"),
        ([[0, 1], [1, 0]], "Cannot read an image"),
        ("no/such/file.png", "no image file"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_inputs_raise_value_error(source, message):
    with pytest.raises(ValueError, match=message):
        preprocess(source)


def test_a_file_that_is_not_an_image(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a digit")
    with pytest.raises(ValueError, match="not an image"):
        preprocess(path)
    with pytest.raises(ValueError, match="no image file"):
        preprocess(tmp_path)  # a folder


def test_a_big_pil_image_is_refused():
    image = Image.new("1", (5001, 5001))
    assert image.width * image.height > MAX_PIXELS
    with pytest.raises(ValueError, match="too large"):
        preprocess(image)
