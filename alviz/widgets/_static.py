"""Static pictures of canvas figures, for front ends without a widget manager (placeholder)."""
from __future__ import annotations

from typing import Any, Dict, List

NEEDS_KERNEL = "The live explorer needs a running Jupyter kernel; this is a static picture of it."


def static_bundle(figures: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Mime data showing ``figures`` without JavaScript."""
    return {"text/plain": NEEDS_KERNEL}
