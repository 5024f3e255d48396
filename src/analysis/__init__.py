"""Analytics for Account Executive Managers: data contract, KPIs and monthly team reports."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aem-analysis")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
