-- Top 10 failing paths of one iteration of the access-log stream.
%default OUTPUT 's3://example-bucket/top10'

SET kinesis.checkpoint.enabled true;
SET kinesis.checkpoint.metastore.table.name 'MyEMRKinesisTable';
SET kinesis.checkpoint.logical.name 'top10-errors';
SET kinesis.checkpoint.iteration.no 4;
SET default_parallel 4;

raw_logs = LOAD 'AccessLogStream'
    USING com.amazon.emr.kinesis.pig.KinesisStreamLoader('kinesis.iteration.timeout=5')
    AS (line:chararray);

parsed = FOREACH raw_logs GENERATE FLATTEN(
    REGEX_EXTRACT_ALL(line, '^(\\S+) \\S+ \\S+ \\[[^\\]]+\\] "\\S+ (\\S+) [^"]*" (\\d{3}) .*$')
) AS (host:chararray, path:chararray, status:int);

errors = FILTER parsed BY status >= 400;
by_path = GROUP errors BY path;
counts = FOREACH by_path GENERATE group AS path, COUNT(errors) AS hits;
ranked = ORDER counts BY hits DESC, path ASC;
top10 = LIMIT ranked 10;
STORE top10 INTO '$OUTPUT/iteration=$ITERATION' USING PigStorage('\t');
