"""trisite: model, verify, render, deploy and prove a multi-site open-source platform from one design."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("trisite")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"
