"""Train page: the run going on now, Start, the network's settings, and the runs list.

The page's parts live in mnist_cnn/ui/train_page.py, where tests can import them.
"""

from mnist_cnn.ui.train_page import train_page

train_page()
