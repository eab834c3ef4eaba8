-- Ad-hoc interactive queries: write this iteration's parsed web-log records under
-- <output>/iteration=<N> (tab-separated), one folder per iteration, for a Hive/Impala table
-- partitioned by iteration: `ALTER TABLE weblogs ADD PARTITION (iteration=N) LOCATION ...`
-- (Impala needs `REFRESH weblogs` afterwards).
SET kinesis.checkpoint.enabled true;
SET kinesis.checkpoint.metastore.table.name MyEMRKinesisTable;
SET kinesis.checkpoint.metastore.hash.key.name HashKey;
SET kinesis.checkpoint.metastore.range.key.name RangeKey;
SET kinesis.checkpoint.metastore.hash.range.name RangeKey;
SET kinesis.checkpoint.logical.name weblogs-pig;
SET kinesis.checkpoint.iteration.no 7;
SET kinesis.rerun.iteration.without.wait false;

raw = LOAD 'AccessLogStream' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader() AS (line:chararray);

parsed = FOREACH raw GENERATE FLATTEN(REGEX_EXTRACT_ALL(line, '^([^ :]+)(?::[0-9]+)? ([^ ]*) ([^ ]*) ([^ ]*) \\[([^\\]]*)\\] "([^"]*)" ([0-9]{3}) ([^ ]*) "([^"]*)" "([^"]*)" ?([^ ]*)$'))
         AS (domain:chararray, client:chararray, ident:chararray, authuser:chararray,
             request_time:chararray, request:chararray, status:chararray, bytes:chararray,
             referer:chararray, agent:chararray, region:chararray);
rows = FOREACH parsed GENERATE domain, client, request_time,
       FLATTEN(STRSPLIT(request, ' ', 3)) AS (method:chararray, path:chararray, protocol:chararray),
       (int) status AS status, (bytes == '-' ? 0L : (long) bytes) AS bytes, referer, agent, region;
rmf s3://kiter-out/weblogs/iteration=7
STORE rows INTO 's3://kiter-out/weblogs/iteration=7' USING PigStorage('\t', '-schema');
