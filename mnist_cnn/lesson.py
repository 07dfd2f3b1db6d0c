"""The codealong lesson: the classic Keras MNIST notebook, step by step.

Each step holds the idea in plain words and the step's code in today's Keras. This is the one
source of both the Lesson page (mnist_cnn/ui/lesson.py) and the notebook,
notebooks/codealong.ipynb, which `python -m tools.codealong` writes from STEPS (a test checks
that the stored notebook still matches). The live parts of the page come from
mnist_cnn.lesson_live.
"""

from __future__ import annotations

from dataclasses import dataclass

# What the original notebook printed after model.evaluate on the 10,000 test digits.
NOTEBOOK_TEST_ACCURACY = 0.9916
NOTEBOOK_TEST_LOSS = 0.0257


@dataclass(frozen=True)
class Step:
    slug: str  # what the page's live part is keyed by, e.g. "load"
    title: str
    words: str  # Markdown: the idea, for a 14-year-old
    code: str  # the notebook cell's code, exactly


STEPS: tuple[Step, ...] = (
    Step(
        "load",
        "Load the digits",
        "A computer learns to read handwriting from examples. **MNIST** is a famous pile of "
        "them: 70,000 handwritten digits, each a small grey picture of 28 × 28 pixels with the "
        "right answer, its **label**, beside it. 60,000 are for learning; 10,000 are kept for "
        "a **test** the network never practises on.",
        """\
from mnist_cnn.data import load_mnist

mnist = load_mnist()  # from MNIST_DATA_DIR or ./data/mnist, else Keras downloads it
x_train, y_train = mnist.train_images, mnist.train_labels
x_test, y_test = mnist.test_images, mnist.test_labels
print("training:", x_train.shape, y_train.shape)
print("test:", x_test.shape, y_test.shape)""",
    ),
    Step(
        "scale",
        "Get the pixels ready",
        "To a computer a picture is a grid of numbers: 0 is black and 255 the brightest white. "
        "The network wants one more axis, for the colour **channel** (a grey picture has one), "
        "and numbers between 0 and 1, which keep its sums small and steady. So each picture "
        "becomes 28 × 28 × 1 decimal numbers, and every pixel is divided by 255.",
        """\
x_train = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255
x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255
print(x_train.shape, x_train.min(), x_train.max())""",
    ),
    Step(
        "one-hot",
        "Answers as ten boxes",
        "The network will answer with ten numbers, one per digit: how sure it is that the "
        "picture shows a 0, a 1, … or a 9. So each label is written the same way: ten boxes, "
        "all 0 except a 1 in the box of the right digit. This is called **one-hot** encoding.",
        """\
from keras.utils import to_categorical

y_train = to_categorical(y_train, 10)
y_test = to_categorical(y_test, 10)
print(y_train[0])""",
    ),
    Step(
        "plan",
        "The plan of a CNN",
        "A **convolutional network** (CNN) reads a picture in stages: **convolution** layers "
        "slide small pattern detectors over it, each followed by **pooling**, which shrinks "
        "the result; then **fully connected** layers combine it all, and **softmax** gives ten "
        "answers. Our choices (**hyperparameters**): 16 detectors, each a 5 × 5 window, and "
        "2 × 2 pooling. Harder pictures want more convolution layers; a window that is too "
        "big misses small details; pooling must suit the picture's size.",
        """\
filters = 16  # pattern detectors in each convolution layer
kernel_size = 5  # each detector looks at a 5 x 5 window of pixels
pool_size = 2  # pooling keeps the strongest value of each 2 x 2 square""",
    ),
    Step(
        "convolution",
        "Convolution and pooling",
        "Each of the 16 filters is a 5 × 5 window that slides over the picture and lights up "
        "where it finds its pattern, such as an edge or a curve. **Valid** (narrow) "
        "convolution puts the window only where it fits whole, never over the border, so 28 "
        "pixels become 28 − 5 + 1 = 24. **ReLU** turns negative results into 0. **Max "
        "pooling** keeps the strongest value of each 2 × 2 square: half the size, and it keeps "
        "*what* was found more than exactly *where*. Then the same again.",
        """\
import keras
from keras import layers

keras.utils.set_random_seed(0)  # the same starting weights every time
model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(filters, kernel_size, padding="valid", activation="relu"),
        layers.MaxPooling2D(pool_size),
        layers.Conv2D(filters, kernel_size, padding="valid", activation="relu"),
        layers.MaxPooling2D(pool_size),
    ]
)""",
    ),
    Step(
        "dense",
        "Dropout, then decide",
        "**Dropout** switches off a random 20% of the values at every training step, a "
        "different 20% each time, so no unit can count on a partner being there. The network "
        "learns several ways to see a digit and does better on new ones (a **regulariser**). "
        "**Flatten** lays the 4 × 4 × 16 results out in one row of 256 numbers; a **dense** "
        "layer of 128 units combines them; after another dropout, the last layer's 10 units "
        "and softmax give ten probabilities that add up to 100%.",
        """\
model.add(layers.Dropout(0.2))
model.add(layers.Flatten())
model.add(layers.Dense(128, activation="relu"))
model.add(layers.Dropout(0.2))
model.add(layers.Dense(10, activation="softmax"))
model.summary()""",
    ),
    Step(
        "compile",
        "How it will learn",
        "Three choices before training. The **loss** says how wrong an answer is: "
        "**categorical cross-entropy**, the usual one for several classes, is small when the "
        "right digit gets a high probability and grows fast when the network is sure of a "
        "wrong one. The **optimizer**, **Adam**, nudges every weight to lower the loss and "
        "adapts its own step size as it goes. **Accuracy**, the share read right, is what we "
        "watch.",
        """\
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])""",
    ),
    Step(
        "train",
        "Train it",
        "The network sees the pictures in **batches** of 200; after each batch Adam nudges the "
        "weights. One pass over all the training pictures is an **epoch**: we do 8. The last "
        "5,000 training pictures are kept aside as **validation** data: after each epoch they "
        "show how well the network reads pictures it does not learn from.",
        """\
history = model.fit(
    x_train[:55000],
    y_train[:55000],
    batch_size=200,
    epochs=8,
    validation_data=(x_train[55000:], y_train[55000:]),
)""",
    ),
    Step(
        "evaluate",
        "The test",
        "Now the real exam: the 10,000 test digits the network has never seen. The notebook "
        "this lesson comes from scored **99.16%** with a loss of **0.0257**: fewer than one "
        "digit in a hundred read wrong. A new training lands close to that but not exactly, "
        "because it starts from other random weights and sees the batches in another order.",
        """\
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {test_loss:.4f}, test accuracy {test_accuracy:.2%}")""",
    ),
    Step(
        "your-turn",
        "Your turn: draw a digit",
        "The network has learned from MNIST; now try it on **your** handwriting. The code "
        "saves it into the app's models folder, so the app lists it with its other models. "
        "Draw a digit: does it read yours as well as MNIST's? Try a thin pen, a tiny digit, "
        "a 7 with a bar.",
        """\
from mnist_cnn.lesson_live import save_to_app

record = save_to_app(model, history.history, test_loss, test_accuracy, mnist)
print(f"Saved as “{record.name}”: choose it in the app's sidebar, then draw on the Draw page.")""",
    ),
)


def step_number(text: str | None) -> tuple[int, str | None]:
    """The step (1 to len(STEPS)) that the address's `?step=` asks for, and a message when it
    asks for one that does not exist (then step 1, or the last step for a number too big)."""
    if text is None or text == "":
        return 1, None
    try:
        number = int(str(text).strip())
    except ValueError:
        return 1, f"There is no step “{text}”: the steps are numbered 1 to {len(STEPS)}."
    if number < 1:
        return 1, f"There is no step {number}: the steps are numbered 1 to {len(STEPS)}."
    if number > len(STEPS):
        return len(STEPS), f"There is no step {number}: the lesson has {len(STEPS)} steps."
    return number, None
