"""Data to learn from: a real embedded dataset, a synthetic one, and a train/test split.

>>> from tinygrad_lr.datasets import load_breast_cancer
>>> X, y, feature_names = load_breast_cancer()
>>> X.shape, int(y.sum()), feature_names[0]
((569, 30), 212, 'mean radius')
"""

from .breast_cancer import Dataset, breast_cancer_path, load_breast_cancer
from .moons import make_moons
from .split import train_test_split

__all__ = ["Dataset", "breast_cancer_path", "load_breast_cancer", "make_moons",
           "train_test_split"]
