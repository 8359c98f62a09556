"""SparseLoom zoo builder: trains, prunes, quantizes and exports pools of ONNX variants."""
from .data import Dataset
from .pool import TrainConfig, VariantSpec, build_pool, default_prunable, default_variants

__all__ = ["Dataset", "TrainConfig", "VariantSpec", "build_pool", "default_prunable",
           "default_variants"]
