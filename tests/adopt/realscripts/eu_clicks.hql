-- Clicks from the stream in Ireland.
CREATE TABLE clicks (line STRING)
STORED BY 'com.amazon.emr.kinesis.hive.KinesisStorageHandler'
TBLPROPERTIES ("kinesis.stream.name"="ClickStream");
set kinesis.endpoint.region=eu-west-1;
set kinesis.nodata.timeout=99999;
set kinesis.checkpoint.logical.name=eu-clicks;
SELECT COUNT(*) FROM clicks;
