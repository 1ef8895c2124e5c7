"""robustbook: the helper package of an executable companion to five robustness papers."""
__version__ = "0.1.0"

from .config import PROFILES, Profile, Settings, setup  # noqa: E402
from .bars import progress  # noqa: E402

__all__ = ["PROFILES", "Profile", "Settings", "__version__", "progress", "setup"]
