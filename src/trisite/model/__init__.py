"""The design model: one typed, immutable description of a multi-site platform."""

from trisite.model.design import Design, Platform
from trisite.model.index import Index
from trisite.model.loader import LoadedDesign, load_design

__all__ = ["Design", "Index", "LoadedDesign", "Platform", "load_design"]
