-- Checkpoints in a table of our own, keyed our own way.
CREATE TABLE orders (line STRING)
STORED BY 'com.amazon.emr.kinesis.hive.KinesisStorageHandler'
TBLPROPERTIES ("kinesis.stream.name"="OrderStream");
set kinesis.checkpoint.enabled=true;
set kinesis.checkpoint.metastore.table.name=orders-checkpoints;
set kinesis.checkpoint.metastore.hash.key.name=Shard;
set kinesis.checkpoint.metastore.range.key.name=RangeKey;
set kinesis.checkpoint.logical.name=orders;
set kinesis.checkpoint.iteration.no=12;
SELECT COUNT(*) FROM orders;
