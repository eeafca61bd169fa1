"""An example teamcast plugin: the `gamma` duration model, fitted to the PERT mean and spread.

Use it with `model = "gamma"` on a task (or `default_model = "gamma"` in [plan]). A task
may give the shape and scale directly: `estimate = { shape = 2.0, scale = 3.0 }`.
"""

import json

import numpy as np

from teamcast import hookimpl
from teamcast.plugins.records import DurationModel


def parameters(tasks):
    """Gamma shape and scale per task: from est_params if given, else matching mean (a+4m+b)/6 and sd (b-a)/6."""
    low, likely, high = (tasks[c].to_numpy().astype(float) for c in ("est_low", "est_likely", "est_high"))
    mean = (low + 4 * likely + high) / 6
    var = ((high - low) / 6) ** 2
    shape = np.divide(mean**2, var, out=np.full_like(mean, np.inf), where=var > 0)
    scale = np.divide(var, mean, out=np.zeros_like(mean), where=mean > 0)
    for row, params in enumerate(tasks["est_params"].to_list() if "est_params" in tasks.columns else []):
        if params:
            given = json.loads(params)
            shape[row], scale[row] = given["shape"], given["scale"]
    return shape, scale


def sample(tasks, n, rng):
    shape, scale = parameters(tasks)
    constant = ~np.isfinite(shape)  # no spread: the mean itself
    out = rng.gamma(np.where(constant, 1.0, shape), scale, size=(n, tasks.height))
    if constant.any():
        out[:, constant] = mean(tasks)[constant]
    return out


def mean(tasks):
    shape, scale = parameters(tasks)
    finite = np.isfinite(shape)
    low, likely, high = (tasks[c].to_numpy().astype(float) for c in ("est_low", "est_likely", "est_high"))
    return np.where(finite, np.where(finite, shape, 0.0) * scale, (low + 4 * likely + high) / 6)


@hookimpl
def register_duration_models(register):
    register(DurationModel("gamma", sample=sample, mean=mean, description="gamma with the PERT mean and spread"))
