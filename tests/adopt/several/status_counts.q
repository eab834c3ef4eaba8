-- Requests per status code in this iteration of the stream.
set kinesis.checkpoint.enabled=true;
set kinesis.checkpoint.metastore.table.name=MyEMRKinesisTable;
set kinesis.checkpoint.metastore.hash.key.name=HashKey;
set kinesis.checkpoint.metastore.range.key.name=RangeKey;
set kinesis.checkpoint.logical.name=VisitCounts;
set kinesis.checkpoint.iteration.no=0;

SELECT status, COUNT(*) AS requests
FROM visits
GROUP BY status
ORDER BY status
