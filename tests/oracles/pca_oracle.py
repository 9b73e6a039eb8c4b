"""Reference principal subspace from scikit-learn.

Arguments: data.f32 rows cols components. Reads the float32 row-major matrix, fits
sklearn.decomposition.PCA(n_components, svd_solver="full") and prints the explained variances,
then the components (one row of cols numbers per component), all whitespace-separated.
"""
import sys

import numpy as np
from sklearn.decomposition import PCA

path, rows, cols, components = sys.argv[1:5]
data = np.fromfile(path, dtype=np.float32).reshape(int(rows), int(cols)).astype(np.float64)
model = PCA(n_components=int(components), svd_solver="full").fit(data)
print(" ".join(f"{v:.17g}" for v in model.explained_variance_))
for row in model.components_:
    print(" ".join(f"{v:.9g}" for v in row))
