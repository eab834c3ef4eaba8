-- Archive one iteration of the telescope stream; the connector checkpoints in our own table.
set kinesis.checkpoint.enabled true;
set kinesis.checkpoint.metastore.table.name 'telescope-archive';
set kinesis.checkpoint.logical.name 'telescope';
set kinesis.checkpoint.iteration.no 0;

raw = LOAD 'TelescopeStream' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader() AS (line:chararray);
kept = FILTER raw BY line IS NOT NULL;
STORE kept INTO 's3://example-bucket/telescope/archive' USING PigStorage();
