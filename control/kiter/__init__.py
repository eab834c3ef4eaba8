"""kiter: a control plane for checkpointed Hive and Pig batches over Kinesis streams."""

__version__ = "0.1.0"
