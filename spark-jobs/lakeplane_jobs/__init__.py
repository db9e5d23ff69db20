"""Pure-Python parts of the lakeplane Spark jobs.

Every module of this package imports without PySpark, except that the ``*_job`` modules and
``spark_io`` import PySpark inside their functions only. The package ships to EMR as
``s3://<artifacts>/spark-jobs/lakeplane_jobs.zip`` through ``spark-submit --py-files``.

The code keeps to Python 3.9 syntax: that is the ``python3`` of the Amazon Linux 2023 image
that EMR 7.x runs, and PySpark runs the driver and executor code with it.
"""

__version__ = "0.1.0"
