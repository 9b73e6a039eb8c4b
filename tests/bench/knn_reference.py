"""Reference for bench_knn: scikit-learn brute-force K nearest neighbours of an even-stride
subsample of the rows, against all rows, and faiss's exact IndexFlatL2 on the same queries.
Prints the two times in seconds on the first line ("nan" for faiss when it is not installed),
then one line of scikit-learn's K neighbour indices per query row."""
import sys
import time

import numpy as np
from sklearn.neighbors import NearestNeighbors


def main(path, rows, dimension, k, sample):
    points = np.fromfile(path, dtype=np.float32).reshape(rows, dimension)
    stride = rows // sample
    queries = points[0:sample * stride:stride]
    start = time.perf_counter()
    model = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(points)
    indices = model.kneighbors(queries, return_distance=False)
    seconds = time.perf_counter() - start
    faiss_seconds = float("nan")
    try:
        import faiss
        start = time.perf_counter()
        index = faiss.IndexFlatL2(dimension)
        index.add(points)
        index.search(np.ascontiguousarray(queries), k)
        faiss_seconds = time.perf_counter() - start
    except ImportError:
        pass
    print(seconds, faiss_seconds)
    for row in indices:
        print(" ".join(str(i) for i in row))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
