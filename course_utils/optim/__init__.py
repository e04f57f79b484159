"""Optimizers on numpy arrays with torch.optim's keywords, defaults and iterates.

>>> import numpy as np
>>> from course_utils import optim
>>> theta = np.array([1.0, -2.0])
>>> opt = optim.Adam(lr=0.1)
>>> for _ in range(3):
...     _ = opt.step(theta, 2 * theta)    # the gradient of |theta|^2; theta changes in place
>>> opt.t, theta.round(4)
(3, array([ 0.7016, -1.7006]))

One instance serves one parameter array (state is created at the first step). ``lr`` may be a
number, an array broadcastable to the parameters, or a schedule ``lr(t)`` of the 0-based step
(:mod:`course_utils.schedules`). One file per family: sgd (SGD, SGDW), adagrad, rmsprop,
adam (Adam, AdamW), nadam, radam, adabound, lookahead.
"""

from .adabound import AdaBound
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .base import Optimizer
from .lookahead import Lookahead
from .nadam import NAdam
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD, SGDW
from .swats import SWATS

__all__ = [
    "Optimizer",
    "SGD",
    "SGDW",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "NAdam",
    "RAdam",
    "AdaBound",
    "Lookahead",
    "SWATS",
]
