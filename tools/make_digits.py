"""Regenerate ``course_utils/datasets/digits.npz`` from scikit-learn's bundled copy of the UCI digits.

The course ships the file, so nobody needs this script to run the notebooks. It installs
nothing itself; run it in a throwaway environment that has scikit-learn::

    python3 -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn numpy
    /tmp/skl/bin/python tools/make_digits.py

It writes ``images`` (uint8, shape (1797, 8, 8), values 0..16) and ``labels`` (uint8, 0..9)
with ``np.savez_compressed`` and prints the file's sha256, which must then be copied into
``course_utils/datasets/README.md`` and ``course_utils.data.DIGITS_SHA256``.

Source: E. Alpaydin, C. Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine
Learning Repository, 1998, DOI 10.24432/C50P49, licence CC BY 4.0.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "course_utils" / "datasets" / "digits.npz"


def main() -> None:
    from sklearn.datasets import load_digits  # only this maintainer script needs scikit-learn

    bunch = load_digits()
    images = np.asarray(bunch.images)
    labels = np.asarray(bunch.target)
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert np.array_equal(images, np.round(images)) and images.min() >= 0 and images.max() <= 16
    images = images.astype(np.uint8)
    labels = labels.astype(np.uint8)

    # np.savez_compressed stamps the zip entries with the current time; write the archive
    # ourselves with a fixed timestamp so that the file (and its sha256) is reproducible.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in (("images", images), ("labels", labels)):
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1998, 7, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            member = io.BytesIO()
            np.lib.format.write_array(member, array, allow_pickle=False)
            archive.writestr(entry, member.getvalue(), compresslevel=9)
    OUT.write_bytes(buffer.getvalue())

    with np.load(OUT) as check:  # the file loads back to the same arrays
        assert np.array_equal(check["images"], images) and np.array_equal(check["labels"], labels)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    print("label counts:", np.bincount(labels, minlength=10).tolist())
    print("sha256:", hashlib.sha256(OUT.read_bytes()).hexdigest())


if __name__ == "__main__":
    main()
