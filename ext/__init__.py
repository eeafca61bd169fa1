"""teamcast.ext: the compiled scheduling kernel (arrays in, arrays out)."""


class ExtensionNotBuiltError(ImportError):
    """The Cython kernel was not compiled in this checkout or install."""


try:
    from teamcast.ext import _kernel
except ImportError as exc:
    raise ExtensionNotBuiltError(
        "teamcast's compiled kernel (teamcast.ext._kernel) is not built: "
        "run `python setup.py build_ext --inplace` (or `make test`) in the source tree"
    ) from exc

__all__ = ["ExtensionNotBuiltError", "_kernel"]
