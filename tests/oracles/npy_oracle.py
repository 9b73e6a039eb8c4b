"""Reads a .npy file with numpy.load (no pickle) and prints what numpy sees.

Arguments: FILE.npy. Prints the dtype, the shape, then every value (row-major), whitespace-separated.
"""
import sys

import numpy as np

array = np.load(sys.argv[1], allow_pickle=False)
print(array.dtype.str, " ".join(str(n) for n in array.shape))
print(" ".join(repr(float(v)) for v in array.ravel()))
