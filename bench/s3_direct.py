"""Direct S3 baseline for the artifact round trips: a file up and down with boto3 in parts of the
sizes MLflow's presigned transfers use (10 MiB up, 100 MiB down), no MLflow and no front door.
Compare with the per-front-door figures the end-to-end tests record in
tests/output/measurements.txt (see docs/artifacts.md).

    make infra && set -a && . tests/output/local/aws.env && set +a
    .venv/bin/python bench/s3_direct.py --mib 1024          # local S3 (moto)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--bucket", default="mlflow-bench-s3-direct")
    args = parser.parse_args()
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=args.bucket)
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp, "up.bin"), Path(tmp, "down.bin")
        with open(source, "wb") as out:
            for _chunk in range(args.mib):
                out.write(os.urandom(1024 * 1024))
        started = time.monotonic()
        s3.upload_file(
            str(source), args.bucket, "artifact.bin", Config=TransferConfig(multipart_chunksize=10 * 1024**2)
        )
        up = time.monotonic() - started
        started = time.monotonic()
        s3.download_file(
            args.bucket, "artifact.bin", str(target), Config=TransferConfig(multipart_chunksize=100 * 1024**2)
        )
        down = time.monotonic() - started
        same = source.read_bytes() == target.read_bytes()
    s3.delete_object(Bucket=args.bucket, Key="artifact.bin")
    s3.delete_bucket(Bucket=args.bucket)
    print("| path | MiB | up s | up MiB/s | down s | down MiB/s | identical |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    rates = f"{up:.1f} | {args.mib / up:.0f} | {down:.1f} | {args.mib / down:.0f}"
    print(f"| S3 direct (boto3) | {args.mib} | {rates} | {same} |")


if __name__ == "__main__":
    main()
