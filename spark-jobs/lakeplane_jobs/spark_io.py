"""Small file-system and session helpers over a live SparkSession (Hadoop FileSystem via py4j).

Nothing here imports PySpark at module level; every function takes the session. The Hadoop
FileSystem API reads and writes s3:// through EMRFS with the cluster's credentials, so the
jobs need no AWS SDK except for reading an exact object version (:func:`copy_object_version`).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple


def build_session(app_name: str, conf: Optional[Dict[str, str]] = None, hive: bool = False) -> Any:
    """A SparkSession with the session time zone UTC and the given settings.

    The settings are applied before the SparkContext exists (the job's driver creates it), so
    static settings such as spark.serializer take effect.
    """
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name).config("spark.sql.session.timeZone", "UTC")
    for k, v in (conf or {}).items():
        builder = builder.config(k, v)
    if hive:
        builder = builder.enableHiveSupport()
    return builder.getOrCreate()


def _fs(spark: Any, uri: str) -> Tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def read_bytes(spark: Any, uri: str) -> bytes:
    fs, path = _fs(spark, uri)
    jvm = spark.sparkContext._jvm
    stream = fs.open(path)
    try:
        buf = jvm.java.io.ByteArrayOutputStream()
        jvm.org.apache.hadoop.io.IOUtils.copyBytes(stream, buf, 65536, False)
        return bytes(buf.toByteArray())
    finally:
        stream.close()


def read_text(spark: Any, uri: str) -> str:
    return read_bytes(spark, uri).decode("utf-8")


def write_text(spark: Any, uri: str, text: str) -> None:
    """Writes (replaces) one object."""
    fs, path = _fs(spark, uri)
    out = fs.create(path, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def exists(spark: Any, uri: str) -> bool:
    fs, path = _fs(spark, uri)
    return bool(fs.exists(path))


def list_names(spark: Any, uri: str, directories: Optional[bool] = None) -> List[str]:
    """Names directly under ``uri`` ([] when it does not exist); only directories or only files if asked."""
    fs, path = _fs(spark, uri)
    if not fs.exists(path):
        return []
    names = []
    for status in fs.listStatus(path):
        if directories is None or bool(status.isDirectory()) == directories:
            names.append(str(status.getPath().getName()))
    return names


def delete(spark: Any, uri: str) -> None:
    fs, path = _fs(spark, uri)
    fs.delete(path, True)


def hudi_table_version(spark: Any) -> Optional[int]:
    """``HoodieTableVersion.current().versionCode()`` of the Hudi on the classpath, None without Hudi.

    6 for Hudi 0.14/0.15, 8 for Hudi 1.0, 9 for Hudi 1.1. py4j resolves a class it cannot
    load to a package object, so calling it fails and the answer is None.
    """
    jvm = spark.sparkContext._jvm
    try:
        return int(jvm.org.apache.hudi.common.table.HoodieTableVersion.current().versionCode())
    except Exception:
        return None


def split_s3_uri(uri: str) -> Tuple[str, str]:
    rest = uri.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    return bucket, key


def copy_object_version(source_uri: str, version_id: str, target_uri: str) -> None:
    """Server-side copy of one exact S3 object version (boto3's managed copy, multipart when large)."""
    try:
        import boto3
    except ImportError:
        raise RuntimeError(
            "reading an exact object version (--input-version, or a manifest object's versionId) needs boto3 "
            "on the EMR driver (python3 -m pip install boto3 in a bootstrap action)"
        ) from None
    src_bucket, src_key = split_s3_uri(source_uri)
    dst_bucket, dst_key = split_s3_uri(target_uri)
    boto3.client("s3").copy(
        {"Bucket": src_bucket, "Key": src_key, "VersionId": version_id}, dst_bucket, dst_key
    )


def delete_s3_object(uri: str) -> None:
    import boto3

    bucket, key = split_s3_uri(uri)
    boto3.client("s3").delete_object(Bucket=bucket, Key=key)
