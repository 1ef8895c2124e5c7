"""robustbook: the helper package of an executable companion to five robustness papers."""
__version__ = "0.1.0"

from .profiles import PROFILES, Profile
from .progress import progress
from .session import Settings, setup

__all__ = ["PROFILES", "Profile", "Settings", "__version__", "progress", "setup"]
